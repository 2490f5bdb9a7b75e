// A strict `tsc` run over one file, outside the package's tsconfig.json, as an integration's own
// project would compile it: for the tests that check what compiles and what does not.
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

/** The compiler's output: empty when the file compiles, else its errors (stdout and stderr). */
export async function compileStrict(file: string, extraFlags: string[] = []): Promise<string> {
  // TypeScript 7 exports no `bin/tsc` subpath: find it beside its package.json.
  const tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');
  return promisify(execFile)(process.execPath, [
    tsc,
    // Only the file, not the package's tsconfig.json (TypeScript 7 refuses to guess).
    '--ignoreConfig',
    '--noEmit',
    '--strict',
    '--module',
    'nodenext',
    '--moduleResolution',
    'nodenext',
    '--target',
    'es2022',
    '--skipLibCheck',
    '--allowImportingTsExtensions',
    ...extraFlags,
    file,
  ]).then(
    () => '',
    (e: { stdout: string; stderr: string }) => `${e.stdout}${e.stderr}`,
  );
}
