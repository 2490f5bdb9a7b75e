// Persisted operations: the API accepts only the documents of the SDK's manifest, by hash, and
// the SDK in `persisted` mode sends only hashes.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { createApi } from '@school-licenses/api';
import { startStandardScenario, TEST_AUTH } from '@school-licenses/api/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AvailabilityDocument, createLicenseClient, LicenseApiError, ViewerDocument } from '../src/index.ts';
import { backend, startStory, TRANSPORTS, type Story } from './support.ts';

const manifestFile = fileURLToPath(new URL('../src/gql/persisted-documents.json', import.meta.url));
const manifest = JSON.parse(await readFile(manifestFile, 'utf8')) as Record<string, string>;
// Every named query, mutation and subscription of the SDK's operation files gets one entry.
const operationsDir = fileURLToPath(new URL('../src/operations/', import.meta.url));
const operationCount = (
  await Promise.all(
    (
      await readdir(operationsDir)
    ).map(async (file) => (await readFile(operationsDir + file, 'utf8')).match(/^(query|mutation|subscription) \w+/gm)?.length ?? 0),
  )
).reduce((sum, n) => sum + n, 0);

describe.each(TRANSPORTS)(`persisted operations (%s, ${backend})`, (transport) => {
  let story: Story;
  let sent: { query?: string; extensions?: { persistedQuery?: { sha256Hash?: string } } }[];

  beforeAll(async () => {
    // The same real database, behind an API in persisted-operations mode.
    story = await startStory(
      transport,
      async () => {
        const { test, demo } = await startStandardScenario();
        const api = createApi({ prisma: test.db.prisma, clock: test.clock, auth: TEST_AUTH, graphiql: false, persistedOperations: manifest });
        return { test: { ...test, api }, demo };
      },
      { persisted: true },
    );
  });
  afterAll(() => story?.close());

  const recordingClient = (token: string, persisted: boolean) => {
    sent = [];
    return story.client(token, {
      persisted,
      fetch: async (input, init) => {
        sent.push(JSON.parse(String(init?.body)));
        return story.fetch(input, init);
      },
    });
  };

  it('has a manifest entry for every document of the SDK, keyed by its embedded hash', () => {
    for (const document of [ViewerDocument, AvailabilityDocument]) {
      const hash = (document as unknown as { __meta__: { hash: string } }).__meta__.hash;
      expect(manifest[hash]).toContain((document.definitions[0] as { name: { value: string } }).name.value);
    }
    expect(operationCount).toBeGreaterThan(40);
    expect(Object.keys(manifest)).toHaveLength(operationCount);
  });

  it('answers the SDK in persisted mode, which sends hashes and no documents', async () => {
    const client = recordingClient(story.demo.tokens.schoolAdmin, true);
    const availability = await client.availability({ school: story.ids.ekskolan, product: story.ids.matematik });
    expect(availability?.availability.reusable.needsEndDateChoice).toBe(true);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.query).toBeUndefined();
    expect(manifest[sent[0]!.extensions!.persistedQuery!.sha256Hash!]).toMatch(/query Availability\(/);

    const result = await client.assignLicense({ school: story.ids.ekskolan, product: story.ids.matematik, user: story.ids.svante, reuseStarted: true });
    expect(result).toMatchObject({ ok: false, code: 'END_DATE_REQUIRED' });
    const pool = await client.reusablePool({ school: story.ids.ekskolan, product: story.ids.matematik });
    const assigned = await client.assignLicense({
      school: story.ids.ekskolan,
      product: story.ids.matematik,
      user: story.ids.svante,
      reuseStarted: true,
      endDate: pool!.endDates[0]!.endDate,
    });
    expect(assigned).toMatchObject({ ok: true, license: { endDate: pool!.endDates[0]!.endDate } });
    const schools = [];
    for await (const school of client.schools({ pageSize: 1 })) schools.push(school.name);
    expect(schools).toEqual(['Ekskolan']);
  });

  it('refuses a document that is sent as text', async () => {
    const client = recordingClient(story.demo.tokens.schoolAdmin, false);
    const error = await client.viewer().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LicenseApiError);
    expect((error as LicenseApiError).message).toMatch(/PersistedQueryOnly/);
    expect(sent[0]!.query).toMatch(/query Viewer/);
  });

  it('refuses a hash that is not in the manifest', async () => {
    const response = await story.fetch(story.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${story.demo.tokens.schoolAdmin}` },
      body: JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: '0'.repeat(64) } } }),
    });
    const body = (await response.json()) as { errors: { message: string; extensions?: { code?: string } }[] };
    expect(body.errors[0]).toMatchObject({ message: 'PersistedQueryNotFound', extensions: { code: 'PERSISTED_QUERY_NOT_IN_LIST' } });
  });
});

describe('PERSISTED_OPERATIONS: the server started with the flag', () => {
  let server: ChildProcess | undefined;
  let url = '';
  const apiDir = fileURLToPath(new URL('../../api/', import.meta.url));

  beforeAll(async () => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      PGLITE_DATA_DIR: 'memory://',
      GRAPHIQL: 'false',
      SWEEP_INTERVAL_SECONDS: '0',
      PERSISTED_OPERATIONS: manifestFile,
    };
    delete env.DATABASE_URL; // the demo seeds its own embedded database
    server = spawn(process.execPath, ['src/server.ts', '--demo'], { cwd: apiDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the server did not start:\n${output}`)), 110_000);
      const read = (chunk: Buffer) => {
        output += chunk.toString();
        const match = /GraphQL API: (http:\/\/\S+\/graphql)/.exec(output);
        if (match && output.includes('persisted operations only')) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      };
      server!.stdout!.on('data', read);
      server!.stderr!.on('data', read);
      server!.once('exit', (code) => reject(new Error(`the server exited with ${code}:\n${output}`)));
    });
    expect(output).toContain(`persisted operations only: ${Object.keys(manifest).length} documents`);
  });
  afterAll(() => {
    server?.kill('SIGTERM');
  });

  it('serves the SDK in persisted mode and refuses other documents', async () => {
    const token = 'slk_demo_lms_integration_read_write';
    const persisted = createLicenseClient({ url, token, persisted: true });
    expect((await persisted.viewer()).kind).toBe('INTEGRATION');
    const plain = createLicenseClient({ url, token });
    await expect(plain.viewer()).rejects.toThrow(/PersistedQueryOnly/);
  });

  it('stops at start, with one line, when the manifest cannot be read', async () => {
    const child = spawn(process.execPath, ['src/server.ts'], {
      cwd: apiDir,
      env: { ...process.env, PORT: '0', PGLITE_DATA_DIR: 'memory://', JWT_SECRET: 'x'.repeat(40), PERSISTED_OPERATIONS: '/nonexistent/manifest.json' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(stderr.trim()).toMatch(/^error: PERSISTED_OPERATIONS: cannot read the manifest \/nonexistent\/manifest.json/);
  });
});
