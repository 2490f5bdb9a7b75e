// The API over a real socket: node:http's createServer on a free port, as server.ts serves it.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMonths } from './clock.ts';
import type { DemoData } from './seed/demo.ts';
import { TEST_START, startStandardScenario, type TestApi } from './testing/harness.ts';
import { gid, userGid } from './testing/ids.ts';
import { ASSIGN_LICENSE } from './testing/operations.ts';

const backend = process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite';

describe(`the API over HTTP on ${backend}`, () => {
  let test: TestApi;
  let demo: DemoData;
  let server: Server;
  let base: string;

  const post = async (token: string | null, query: string, variables?: Record<string, unknown>) => {
    const response = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    return { status: response.status, body: (await response.json()) as any };
  };

  beforeAll(async () => {
    ({ test, demo } = await startStandardScenario());
    server = createServer(test.api);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await test.close();
  });

  it('answers /health and /ready', async () => {
    const health = await fetch(`${base}/health`);
    expect(health.status).toBe(200);
    const ready = await fetch(`${base}/ready`);
    expect(ready.status).toBe(200);
  });

  it('answers a query with the viewer', async () => {
    const { status, body } = await post(demo.tokens.schoolAdmin, '{ viewer { kind name user { memberships { role school { name } } } } }');
    expect(status).toBe(200);
    expect(body).toEqual({
      data: { viewer: { kind: 'USER', name: 'Sara Skoladmin', user: { memberships: [{ role: 'SCHOOL_ADMIN', school: { name: 'Ekskolan' } }] } } },
    });
  });

  it('assigns a license, and the holder sees it', async () => {
    const input = {
      school: gid('School', demo.ids.ekskolan),
      product: gid('Product', demo.ids.matematik),
      user: await userGid(test.db.prisma, 'svante.student@ekskolan.example'),
      reuseStarted: false,
    };
    const { status, body } = await post(demo.tokens.schoolAdmin, ASSIGN_LICENSE, { input });
    expect(status).toBe(200);
    expect(body.data.assignLicense).toMatchObject({
      __typename: 'AssignLicensePayload',
      license: {
        state: 'STARTED',
        startedAt: TEST_START,
        endDate: addMonths(new Date(TEST_START), 12).toISOString().slice(0, 10),
        holder: { name: 'Svante Elev' },
      },
    });
    const again = await post(demo.tokens.schoolAdmin, ASSIGN_LICENSE, { input });
    expect(again.body.data.assignLicense).toMatchObject({ __typename: 'LicenseError', code: 'USER_ALREADY_HAS_LICENSE' });
  });

  it('answers 401 without credentials', async () => {
    const { status, body } = await post(null, '{ viewer { name } }');
    expect(status).toBe(401);
    expect(body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('answers a malformed request body with a 4xx, not a 500', async () => {
    const response = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${demo.tokens.schoolAdmin}` },
      body: '{"query": "{ viewer { name } }"',
    });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
  });
});
