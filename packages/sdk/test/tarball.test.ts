// The SDK as a frontend team gets it: the README's install commands, run outside the monorepo.
// `pnpm pack` makes the tarball, npm (and pnpm) install it into a fresh project, a strict NodeNext
// consumer and a bundler-resolution one type-check against it, and the consumer runs against a
// real API over HTTP; CommonJS `require`s it. npm's cache has the registry's packages after the
// first run.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStory, type Story } from './support.ts';

const run = promisify(execFile);
const packageDir = fileURLToPath(new URL('../', import.meta.url));
const pkg = JSON.parse(await readFile(join(packageDir, 'package.json'), 'utf8'));
const tarballName = `school-licenses-sdk-${pkg.version}.tgz`;
const tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');

/** The README's install commands, with /tmp where the tarball goes. */
const readme = await readFile(join(packageDir, 'README.md'), 'utf8');
const PACK = 'npx --yes pnpm@10.34.8 pack --pack-destination';
const NPM_INSTALL = `npm install /tmp/${tarballName} @urql/core graphql`;
const PNPM_ADD = `pnpm add /tmp/${tarballName} @urql/core graphql`;

const consumer = `
import { createLicenseClient, LicenseApiError, type LicenseClient } from '@school-licenses/sdk';
import manifest from '@school-licenses/sdk/persisted-documents.json' with { type: 'json' };

const [url, token] = process.argv.slice(2) as [string, string];
const client: LicenseClient = createLicenseClient({ url, token, retry: false });
const viewer = await client.viewer();
const schools: string[] = [];
for await (const school of client.schools()) schools.push(school.name);
let refused = '';
try {
  await createLicenseClient({ url, token: 'not-a-token', retry: false }).viewer();
} catch (error) {
  if (error instanceof LicenseApiError) refused = error.kind;
}
console.log(JSON.stringify({ name: viewer.name, schools, refused, documents: Object.keys(manifest).length }));
`;

const compilerOptions = { strict: true, target: 'ES2022', lib: ['ES2023', 'DOM'], types: ['node'], noEmit: true, resolveJsonModule: true };

describe('the packed SDK in a fresh project', () => {
  let dir: string;
  let story: Story;
  let tarball: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sdk-consumer-'));
    [story] = await Promise.all([startStory('http'), run('npx', [...PACK.split(' ').slice(1), dir], { cwd: packageDir })]);
    tarball = join(dir, tarballName);
  });
  afterAll(async () => {
    await story?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('is what the README tells a team to run', () => {
    expect(readme).toContain(`cd packages/sdk && ${PACK} /tmp`);
    expect(readme).toContain(NPM_INSTALL);
    expect(readme).toContain(PNPM_ADD);
  });

  it('packs a package.json without workspace or catalog specifiers, with a version and a license', async () => {
    const { stdout } = await run('tar', ['-xzOf', tarball, 'package/package.json']);
    expect(stdout).not.toMatch(/"(workspace|catalog):/);
    const packed = JSON.parse(stdout);
    expect(packed).toMatchObject({ version: pkg.version, license: 'MIT' });
    expect(packed.private).toBeUndefined();
    expect(packed.dependencies['@urql/exchange-retry']).toMatch(/^\^?\d/);
    const { stdout: files } = await run('tar', ['-tzf', tarball]);
    expect(files.split('\n')).toEqual(expect.arrayContaining(['package/LICENSE', 'package/dist/index.js', 'package/dist/index.d.ts']));
  });

  it('installs with npm, type-checks a strict consumer (NodeNext and bundler) and runs it against the API', async () => {
    const app = join(dir, 'npm-app');
    await mkdir(app);
    await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    const [command, ...args] = NPM_INSTALL.replace(`/tmp/${tarballName}`, tarball).split(' ');
    // The consumer's own use of `process` needs Node's types: a dev dependency of the project.
    await run(command!, [...args, '@types/node@24', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: app });

    await writeFile(join(app, 'consumer.ts'), consumer);
    for (const [name, options] of [
      ['tsconfig.json', { module: 'NodeNext', moduleResolution: 'NodeNext' }],
      ['tsconfig.bundler.json', { module: 'ESNext', moduleResolution: 'Bundler' }],
    ] as const) {
      await writeFile(join(app, name), JSON.stringify({ compilerOptions: { ...compilerOptions, ...options }, files: ['consumer.ts'] }));
      const check = await run(process.execPath, [tsc, '-p', name], { cwd: app }).then(
        () => '',
        (error: { stdout: string }) => error.stdout,
      );
      expect(check, name).toBe('');
    }

    const { stdout } = await run(process.execPath, ['consumer.ts', story.url, story.demo.tokens.schoolAdmin], { cwd: app });
    expect(JSON.parse(stdout)).toEqual({
      name: 'Sara Skoladmin',
      schools: expect.arrayContaining(['Ekskolan']),
      refused: 'graphql',
      documents: expect.any(Number),
    });

    const required = await run(process.execPath, ['-e', `console.log(typeof require('@school-licenses/sdk').createLicenseClient)`], { cwd: app });
    expect(required.stdout.trim()).toBe('function');
  });

  it('installs with pnpm', async () => {
    const app = join(dir, 'pnpm-app');
    await mkdir(app);
    await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    const args = PNPM_ADD.replace(`/tmp/${tarballName}`, tarball).split(' ').slice(1);
    await run('npx', ['--yes', 'pnpm@10.34.8', ...args, '--prefer-offline'], { cwd: app });
    const { stdout } = await run(
      process.execPath,
      ['--input-type=module', '-e', `console.log(typeof (await import('@school-licenses/sdk')).createLicenseClient)`],
      { cwd: app },
    );
    expect(stdout.trim()).toBe('function');
  });
});
