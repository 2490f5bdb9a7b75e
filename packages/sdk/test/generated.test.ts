// The generated SDK sources are committed: this fails when any of them is stale, i.e. when
// regenerating from schema.graphql and src/operations/ would change them.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate } from '@graphql-codegen/cli';
import { afterAll, describe, expect, it } from 'vitest';
import { sdkCodegenConfig } from '../../../codegen.ts';

const committedDir = fileURLToPath(new URL('../src/gql/', import.meta.url));

describe('the generated SDK sources', () => {
  let scratch: string | undefined;
  afterAll(() => (scratch ? rm(scratch, { recursive: true, force: true }) : undefined));

  it('are what `pnpm --filter @school-licenses/sdk generate` writes (run it after changing the schema or an operation)', async () => {
    scratch = await mkdtemp(join(tmpdir(), 'sdk-codegen-'));
    await generate(sdkCodegenConfig(`${scratch}/`), true);
    const fresh = (await readdir(scratch)).sort();
    expect((await readdir(committedDir)).sort()).toEqual(fresh);
    expect(fresh).toEqual(expect.arrayContaining(['graphql.ts', 'persisted-documents.json']));
    for (const file of fresh) {
      const [committed, regenerated] = await Promise.all([readFile(join(committedDir, file), 'utf8'), readFile(join(scratch, file), 'utf8')]);
      expect(committed, `src/gql/${file} is stale`).toBe(regenerated);
    }
  });
});
