// `pnpm --filter @school-licenses/bench events`: how many events one API instance publishes per
// second, and the delay from a change's commit to a subscriber on another instance (docs/EVENTS.md).
// Not a test. On PostgreSQL (DATABASE_URL or --db postgres) two instances share one database: the
// change is made through instance A, the subscriber listens on instance B. On PGlite, one process.
//
//   pnpm --filter @school-licenses/bench events [--db pglite|postgres] [--events 20000] [--changes 200]
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { createApi, createEventHub, EventRelay, ManualClock, runSweep, signUserToken, type EventHub } from '@school-licenses/api';
import { openDatabase, type Database } from '@school-licenses/db';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { DEFAULT_SERVER_URL } from './database.ts';

const { values } = parseArgs({
  options: {
    db: { type: 'string', default: process.env.DATABASE_URL ? 'postgres' : 'pglite' },
    events: { type: 'string', default: '20000' },
    changes: { type: 'string', default: '200' },
  },
});
const backend = values.db === 'postgres' ? 'postgres' : 'pglite';
const eventCount = Number(values.events);
const changes = Number(values.changes);
const auth = { jwtSecret: 'bench-secret-that-is-long-enough-0123456789' };
const clock = new ManualClock(new Date());

let url: string | undefined;
let dropDatabase = async () => {};
if (backend === 'postgres') {
  const server = process.env.DATABASE_URL ?? DEFAULT_SERVER_URL;
  const pg = (await import('pg')).default;
  const name = `licenses_events_bench_${randomUUID().slice(0, 8)}`;
  const admin = new pg.Client({ connectionString: server });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const parsed = new URL(server);
  parsed.pathname = `/${name}`;
  url = parsed.toString();
  dropDatabase = async () => {
    const again = new pg.Client({ connectionString: server });
    await again.connect();
    await again.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await again.end();
  };
}

const a = await openDatabase({ url, dataDir: 'memory://' });
await a.migrate();
const b: Database = url ? await openDatabase({ url }) : a;

// One school with an admin, `changes` students and a product of direct delivery.
const organisation = await a.prisma.organisation.create({ data: { name: 'Bench kommun', createdAt: clock.now() } });
const school = await a.prisma.school.create({ data: { name: 'Benchskolan', organisationId: organisation.id } });
const adminUser = await a.prisma.user.create({
  data: {
    name: 'Bench Admin',
    email: 'admin@bench.example',
    organisationId: organisation.id,
    memberships: { create: { schoolId: school.id, role: 'SCHOOL_ADMIN' } },
  },
});
const students = await a.prisma.user.createManyAndReturn({
  data: Array.from({ length: changes }, (_, i) => ({ name: `Elev ${i}`, email: `elev${i}@bench.example`, organisationId: organisation.id })),
  select: { id: true },
});
await a.prisma.schoolMembership.createMany({ data: students.map((s) => ({ userId: s.id, schoolId: school.id, role: 'STUDENT' as const })) });
const supplier = await a.prisma.supplier.create({ data: { name: 'Bench förlag' } });
const product = await a.prisma.product.create({ data: { name: 'Bench matte', supplierId: supplier.id, validityMonths: 12, deliveryMode: 'DIRECT' } });

const hubA = createEventHub();
const apiA = createApi({ prisma: a.prisma, clock, auth, graphiql: false, events: hubA, limits: { rateLimit: undefined } });
let token = await signUserToken(auth, adminUser.id, { now: clock.now() });
const send = async (query: string, variables: Record<string, unknown>) => {
  const response = await apiA.fetch('http://bench/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const json = (await response.json()) as { data?: Record<string, { __typename: string }>; errors?: unknown };
  if (json.errors || !json.data || Object.values(json.data)[0]!.__typename.endsWith('Error')) throw new Error(JSON.stringify(json));
};

// 1. Publishing: `eventCount` committed, unnumbered events (licenses starting by themselves,
// written by the sweep while no relay runs), then one relay numbers and publishes them all.
for (let left = eventCount + changes; left > 0; left -= 10_000) {
  await send(`mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { __typename } }`, {
    input: { school: encodeGlobalID('School', school.id), product: encodeGlobalID('Product', product.id), quantity: Math.min(left, 10_000) },
  });
}
clock.advanceMonths(5);
await runSweep(a.prisma, clock);
const pending = await a.prisma.event.count({ where: { position: null } });
let received = 0;
const counting = (async () => {
  for await (const _event of hubA.subscribe('event')) if (++received >= pending) return;
})();
const relayA = new EventRelay({ database: a, prisma: a.prisma, clock, hub: hubA, pollMs: 60_000 });
const publishStart = performance.now();
await relayA.start();
await relayA.flush();
await counting;
const publishSeconds = (performance.now() - publishStart) / 1000;

// 2. Delay: each change is made through A; the subscriber is B's hub (B's own connection, LISTEN
// and relay on PostgreSQL). Measured from the mutation's answer (after its commit) to B's event.
const hubB: EventHub = url ? createEventHub() : hubA;
const relayB = url ? new EventRelay({ database: b, prisma: b.prisma, clock, hub: hubB, pollMs: 60_000 }) : undefined;
await relayB?.start();
const arrivals = new Map<string, (at: number) => void>();
const listening = (async () => {
  for await (const event of hubB.subscribe('event')) if (event.kind === 'license.assigned' && event.userId) arrivals.get(event.userId)?.(performance.now());
})();
void listening;
token = await signUserToken(auth, adminUser.id, { now: clock.now() });
const delays: number[] = [];
for (const student of students) {
  const arrived = new Promise<number>((resolve) => arrivals.set(student.id, resolve));
  // Every license started by itself in step 1: each assignment reuses one.
  await send(`mutation ($input: AssignLicenseInput!) { assignLicense(input: $input) { __typename } }`, {
    input: {
      school: encodeGlobalID('School', school.id),
      product: encodeGlobalID('Product', product.id),
      user: encodeGlobalID('User', student.id),
      reuseStarted: true,
    },
  });
  const committed = performance.now();
  delays.push((await arrived) - committed);
}
delays.sort((x, y) => x - y);
const percentile = (p: number) => delays[Math.min(delays.length - 1, Math.floor((p / 100) * delays.length))]!;

console.log(`backend: ${backend}${url ? ' (two instances on one database)' : ' (one process)'}`);
console.log(`published: ${pending} events in ${publishSeconds.toFixed(2)} s = ${Math.round(pending / publishSeconds)} events/s by one instance`);
console.log(
  `commit → subscriber${url ? ' on the other instance' : ''}: p50 ${percentile(50).toFixed(1)} ms, p99 ${percentile(99).toFixed(1)} ms, max ${delays.at(-1)!.toFixed(1)} ms over ${delays.length} changes`,
);

await relayA.stop();
await relayB?.stop();
if (b !== a) await b.close();
await a.close();
await dropDatabase();
process.exit(0);
