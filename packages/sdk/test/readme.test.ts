// The README's error-handling example, compiled as written by a strict `tsc` against the SDK's
// real types: its `switch` must cover every failure code for `assertNever` to compile, so a code
// the API adds (and the SDK's types with it) fails this test until the README lists it too.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileStrict } from './tsc.ts';

const packageDir = fileURLToPath(new URL('../', import.meta.url));
const readme = await readFile(join(packageDir, 'README.md'), 'utf8');

/** The ```ts blocks of a README section (from its `## ` heading to the next). */
function snippetsOf(heading: string): string[] {
  const start = readme.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`the README has no section ${heading}`);
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

/** What the example leaves to the integration: its own ways to choose an end date and to report. */
const PRELUDE = `
declare function chooseFrom(endDates: ReadonlyArray<{ endDate: string; count: number }>): void;
declare function report(code: string, message: string): void;
`;

describe("the README's examples", () => {
  it('compiles the error-handling example under strict tsc, its switch exhaustive', async () => {
    const [snippet, ...others] = snippetsOf('Error handling');
    expect(others).toEqual([]);
    expect(snippet).toContain('assertNever(result)');
    const dir = await mkdtemp(join(tmpdir(), 'sdk-readme-'));
    try {
      // .mts: an ES module, as an integration's code is (top-level imports, no CommonJS).
      const file = join(dir, 'error-handling.mts');
      // The package's name, resolved to its source (as the workspace has no link to itself).
      const source = snippet!.replaceAll("'@school-licenses/sdk'", `'${join(packageDir, 'src', 'index.ts')}'`);
      await writeFile(file, `${PRELUDE}\n${source}\nexport {};\n`);
      const result = await compileStrict(file, ['--noUncheckedIndexedAccess', '--lib', 'es2023,dom']);
      expect(result.replaceAll(dir, '<readme>')).toBe('');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
