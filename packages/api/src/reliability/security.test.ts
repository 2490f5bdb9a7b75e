// Credentials and tenant isolation: API keys are stored hashed; user tokens with a wrong
// algorithm, signature, audience, issuer or time are refused (401); nothing of another
// organisation comes back through node(id:), nodes, connections, counts or error messages.
import { createHash, createHmac, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { openTestDatabase, type TestDatabase } from '@school-licenses/db/testing';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, type AuthConfig } from '../auth/authenticate.ts';
import { ManualClock } from '../clock.ts';
import { TEST_START } from '../testing/harness.ts';
import { listen, postGraphQL, type Listening } from '../testing/http.ts';
import { ASSIGN_LICENSE, DELIVER_ORDER, mutate, REDEEM_ACTIVATION_LINK, REVOKE_LICENSE } from '../testing/operations.ts';
import { gid } from '../testing/ids.ts';
import { activationLink, awaitingDelayedOrder, licensePool, tokenOf, type LicensePool } from '../testing/scenarios.ts';
import { createApi } from '../yoga.ts';

const AUTH: AuthConfig = { jwtSecret: 'security-test-secret-that-is-long-enough-42', issuer: 'https://id.example', audience: 'school-licenses' };
const backend = process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite';
const b64 = (value: object | string) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

describe(`credentials and tenant isolation on ${backend}`, () => {
  let db: TestDatabase;
  let server: Listening;
  const clock = new ManualClock(TEST_START);
  let pool: LicensePool;
  let now: number;

  beforeAll(async () => {
    db = await openTestDatabase();
    server = await listen(createApi({ prisma: db.prisma, clock, auth: AUTH, graphiql: false }));
    pool = await licensePool(db.prisma, clock, { licenses: 3, students: 3 });
    now = Math.floor(clock.now().getTime() / 1000);
  });
  afterAll(async () => {
    await server?.close();
    await db?.close();
  });

  const claims = (overrides: Record<string, unknown> = {}) => ({
    sub: pool.adminId,
    iss: AUTH.issuer,
    aud: AUTH.audience,
    iat: now,
    exp: now + 3600,
    ...overrides,
  });
  const hmac = (alg: 'sha256' | 'sha512', header: object, payload: object, secret = AUTH.jwtSecret!) => {
    const signingInput = `${b64(header)}.${b64(payload)}`;
    return `${signingInput}.${createHmac(alg, secret).update(signingInput).digest('base64url')}`;
  };
  const viewer = (token: string) => postGraphQL(server.url, token, `{ viewer { kind } }`);

  it('a correct token is accepted (the baseline every refusal below differs from in one thing)', async () => {
    const response = await viewer(hmac('sha256', { alg: 'HS256', typ: 'JWT' }, claims()));
    expect(response.status).toBe(200);
    expect(response.data).toEqual({ viewer: { kind: 'USER' } });
  });

  const refused: [string, () => Promise<string> | string][] = [
    ['alg "none", unsigned', () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims())}.`],
    ['alg "RS256" in the header, signed with the shared secret as an HMAC key', () => hmac('sha256', { alg: 'RS256' }, claims())],
    ['alg "HS512" with the right secret (only HS256 is accepted)', () => hmac('sha512', { alg: 'HS512' }, claims())],
    ['a signature made with another secret', () => hmac('sha256', { alg: 'HS256' }, claims(), 'another-secret-that-is-long-enough-0123456')],
    [
      'a payload changed after signing',
      () => {
        const [header, , signature] = hmac('sha256', { alg: 'HS256' }, claims()).split('.');
        return `${header}.${b64(claims({ sub: pool.otherOrganisation.adminId }))}.${signature}`;
      },
    ],
    ['another audience', () => hmac('sha256', { alg: 'HS256' }, claims({ aud: 'someone-else' }))],
    ['no audience', () => hmac('sha256', { alg: 'HS256' }, claims({ aud: undefined }))],
    ['another issuer', () => hmac('sha256', { alg: 'HS256' }, claims({ iss: 'https://evil.example' }))],
    ['expired', () => hmac('sha256', { alg: 'HS256' }, claims({ iat: now - 7200, exp: now - 3600 }))],
    ['not valid yet (nbf in the future)', () => hmac('sha256', { alg: 'HS256' }, claims({ nbf: now + 3600 }))],
    ['no subject', () => hmac('sha256', { alg: 'HS256' }, claims({ sub: undefined }))],
    ['no expiry (exp), by default', () => hmac('sha256', { alg: 'HS256' }, claims({ exp: undefined }))],
    ['a subject that is no user', () => hmac('sha256', { alg: 'HS256' }, claims({ sub: randomUUID() }))],
    ['a subject that is not an ID at all', () => hmac('sha256', { alg: 'HS256' }, claims({ sub: "x' OR 1=1 --" }))],
    ['signed by jose with the wrong secret', () => new SignJWT(claims()).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode('x'.repeat(40)))],
    ['garbage', () => 'not.a.jwt'],
    ['an API key that does not exist', () => 'slk_thisKeyDoesNotExist'],
  ];
  for (const [what, make] of refused) {
    it(`refuses a token with ${what}: 401 UNAUTHENTICATED`, async () => {
      const response = await viewer(await make());
      expect(response.status).toBe(401);
      expect(response.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      expect(response.data ?? null).toBeNull();
    });
  }

  it('a token without exp is accepted only when configured (JWT_REQUIRE_EXP=false)', async () => {
    const lenient = await listen(createApi({ prisma: db.prisma, clock, auth: { ...AUTH, requireExp: false }, graphiql: false }));
    try {
      const response = await postGraphQL(lenient.url, hmac('sha256', { alg: 'HS256' }, claims({ exp: undefined })), `{ viewer { kind } }`);
      expect(response.status).toBe(200);
    } finally {
      await lenient.close();
    }
  });

  it('a JWKS outage is 503 SERVICE_UNAVAILABLE with Retry-After, not 401', async () => {
    // A port nothing listens on: the identity provider is down.
    const gone = createServer();
    await new Promise<void>((resolve) => gone.listen(0, '127.0.0.1', resolve));
    const { port } = gone.address() as AddressInfo;
    await new Promise<void>((resolve) => gone.close(() => resolve()));
    const jwks = await listen(
      createApi({
        prisma: db.prisma,
        clock,
        auth: { jwksUrl: `http://127.0.0.1:${port}/jwks.json`, issuer: AUTH.issuer, audience: AUTH.audience },
        graphiql: false,
        log: { ...console, error: () => {}, info: () => {} },
      }),
    );
    try {
      const response = await postGraphQL(jwks.url, hmac('sha256', { alg: 'RS256', kid: 'k1' }, claims()), `{ viewer { kind } }`);
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('1');
      expect(response.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
    } finally {
      await jwks.close();
    }
  });

  it('every error has extensions.code, and echoed input is cut short', async () => {
    const long = 'x'.repeat(5_000);
    const answers = [
      await postGraphQL(server.url, null, `{ __typename }`, undefined, { authorization: 'Basic abc' }),
      await postGraphQL(server.url, hmac('sha256', { alg: 'HS256' }, claims()), `query($n: Int) { schools(first: $n) { totalCount } }`, { n: long }),
      await postGraphQL(server.url, hmac('sha256', { alg: 'HS256' }, claims()), `{ schools(first: "${long}") { totalCount } }`),
      await postGraphQL(server.url, hmac('sha256', { alg: 'HS256' }, claims()), `{ ${long} }`),
    ];
    const raw = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": ' });
    const rawBody = (await raw.json()) as { errors?: { message: string; extensions?: { code?: string } }[] };
    for (const errors of [...answers.map((a) => a.errors), rawBody.errors]) {
      expect(errors?.length).toBeGreaterThan(0);
      for (const error of errors!) {
        expect(error.extensions?.code, error.message).toEqual(expect.any(String));
        expect(error.message.length, error.message).toBeLessThan(400);
      }
    }
  });

  it('a revoked API key is refused', async () => {
    const { key, id } = await createApiKey(db.prisma, clock, { name: 'Soon revoked', kind: 'ORGANISATION_READ', organisationId: pool.organisationId });
    expect((await viewer(key)).status).toBe(200);
    await db.prisma.apiCredential.update({ where: { id }, data: { revokedAt: clock.now() } });
    expect((await viewer(key)).status).toBe(401);
  });

  it('API keys are stored hashed: after creating and using one, no table holds the key itself', async () => {
    const { key } = await createApiKey(db.prisma, clock, { name: 'LMS', kind: 'ORGANISATION_READ_WRITE', organisationId: pool.organisationId });
    expect((await viewer(key)).status).toBe(200);
    const tables = await db.prisma.$queryRawUnsafe<{ name: string }[]>(
      `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`,
    );
    expect(tables.length).toBeGreaterThan(10);
    let everything = '';
    for (const { name } of tables) {
      const rows = await db.prisma.$queryRawUnsafe<{ row: string }[]>(`SELECT row_to_json(t)::text AS row FROM "${name}" t`);
      everything += rows.map((r) => r.row).join('\n');
    }
    expect(everything).not.toContain(key);
    expect(everything).not.toContain(key.slice(4)); // not even without its prefix
    expect(everything).toContain(createHash('sha256').update(key).digest('hex'));
  });

  describe('another organisation sees nothing of this one', () => {
    let other: string;
    beforeAll(async () => {
      other = await signFor(pool.otherOrganisation.adminId);
    });
    const signFor = (userId: string) =>
      new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(userId)
        .setIssuer(AUTH.issuer!)
        .setAudience(AUTH.audience!)
        .setIssuedAt(now)
        .setExpirationTime(now + 3600)
        .sign(new TextEncoder().encode(AUTH.jwtSecret));

    it('node(id:) and nodes(ids:) answer null for its school, license, order and users, exactly as for IDs that do not exist', async () => {
      const license = await db.prisma.license.findFirstOrThrow({ where: { schoolId: pool.schoolId } });
      const order = await db.prisma.order.findFirstOrThrow({ where: { schoolId: pool.schoolId } });
      const ids = [pool.gids.school, gid('License', license.id), gid('Order', order.id), pool.gids.students[0]!, gid('User', pool.adminId)];
      const response = await postGraphQL(server.url, other, `query($ids: [ID!]!) { nodes(ids: $ids) { id } a: node(id: "${ids[1]}") { id } }`, { ids });
      expect(response.data).toEqual({ nodes: [null, null, null, null, null], a: null });
      const missing = await postGraphQL(server.url, other, `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, {
        ids: [gid('School', randomUUID()), gid('License', randomUUID())],
      });
      expect(missing.data).toEqual({ nodes: [null, null] });
    });

    it('connections and counts hold only its own', async () => {
      const response = await postGraphQL(server.url, other, `{ schools { totalCount edges { node { id name } } } }`);
      expect(response.data.schools.totalCount).toBe(1);
      expect(response.data.schools.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual([gid('School', pool.otherOrganisation.schoolId)]);
      expect(response.text).not.toContain(pool.schoolId);
    });

    it('mutations on its data fail exactly as on data that does not exist, naming nothing of it', async () => {
      const license = await db.prisma.license.findFirstOrThrow({ where: { schoolId: pool.schoolId } });
      const theirs = await mutate(server.url, other, ASSIGN_LICENSE, {
        school: pool.gids.school,
        product: pool.gids.product,
        user: pool.gids.students[0],
        reuseStarted: false,
      });
      const nothing = await mutate(server.url, other, ASSIGN_LICENSE, {
        school: gid('School', randomUUID()),
        product: pool.gids.product,
        user: pool.gids.students[0],
        reuseStarted: false,
      });
      expect(theirs.value).toEqual(nothing.value);
      expect(theirs.code).toBe('NOT_FOUND');

      const revokeTheirs = await mutate(server.url, other, REVOKE_LICENSE, { license: gid('License', license.id) });
      const revokeNothing = await mutate(server.url, other, REVOKE_LICENSE, { license: gid('License', randomUUID()) });
      expect(revokeTheirs.value).toEqual(revokeNothing.value);

      const { token } = await activationLink(db.prisma, clock, pool, 1);
      const redeemTheirs = await mutate(server.url, other, REDEEM_ACTIVATION_LINK, { token });
      const redeemNothing = await mutate(server.url, other, REDEEM_ACTIVATION_LINK, { token: 'act_made_up' });
      expect(redeemTheirs.value).toEqual(redeemNothing.value);
      expect(redeemTheirs.code).toBe('ACTIVATION_LINK_INVALID');

      // A supplier delivers only its own products' orders.
      const order = await awaitingDelayedOrder(db.prisma, clock, pool, 1);
      const deliverTheirs = await mutate(server.url, pool.activationSupplierKey, DELIVER_ORDER, { order: gid('Order', order.id) });
      const deliverNothing = await mutate(server.url, pool.activationSupplierKey, DELIVER_ORDER, { order: gid('Order', randomUUID()) });
      expect(deliverTheirs.value).toEqual(deliverNothing.value);
      expect(deliverTheirs.code).toBe('NOT_FOUND');

      for (const outcome of [theirs, revokeTheirs, redeemTheirs, deliverTheirs]) {
        const text = JSON.stringify(outcome.value);
        for (const secret of [pool.schoolId, pool.productId, license.id, 'Poolskolan', 'Pool kommun']) expect(text).not.toContain(secret);
      }
      expect(await db.prisma.order.findUniqueOrThrow({ where: { id: order.id } })).toMatchObject({ status: 'AWAITING_DELIVERY' });
    });

    it("its own admin's token works on the same requests (the refusals above are about the organisation)", async () => {
      const own = await tokenOf(AUTH, clock, pool.adminId);
      const result = await mutate(server.url, own, ASSIGN_LICENSE, {
        school: pool.gids.school,
        product: pool.gids.product,
        user: pool.gids.students[0],
        reuseStarted: false,
      });
      expect(result.typename).toBe('AssignLicensePayload');
    });
  });
});
