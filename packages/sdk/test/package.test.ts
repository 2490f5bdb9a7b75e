// What ships: ESM with declarations, `types` first in `exports`, nothing Node-only on the way in.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('../', import.meta.url));
const pkg = JSON.parse(await readFile(join(packageDir, 'package.json'), 'utf8'));

describe('the published package', () => {
  it('is ESM, with `types` first in `exports`, and @urql/core and graphql as peers', () => {
    expect(pkg.type).toBe('module');
    expect(Object.keys(pkg.exports['.'])).toEqual(['types', 'default']);
    expect(pkg.peerDependencies).toMatchObject({ '@urql/core': expect.any(String), graphql: expect.any(String) });
    expect(pkg.dependencies['@urql/core']).toBeUndefined();
  });

  it('is built: every export points at a file that exists (the test script builds first)', async () => {
    for (const target of [pkg.exports['.'].types, pkg.exports['.'].default, pkg.exports['./persisted-documents.json']]) {
      await expect(readFile(join(packageDir, target), 'utf8')).resolves.toBeTruthy();
    }
  });

  it('imports nothing from Node on the browser path', async () => {
    const dist = join(packageDir, 'dist');
    const files = (await readdir(dist, { recursive: true })).filter((file) => file.endsWith('.js'));
    expect(files).toContain('index.js');
    for (const file of files) {
      const code = await readFile(join(dist, file), 'utf8');
      const specifiers = [...code.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map((m) => m[1]!);
      for (const specifier of specifiers) {
        expect(specifier, `${file} imports ${specifier}`).toMatch(/^(\.\.?\/.*\.js|@urql\/core|@urql\/exchange-retry)$/);
      }
      expect(code, file).not.toMatch(/\brequire\(|process\.env|Buffer\./);
    }
  });
});
