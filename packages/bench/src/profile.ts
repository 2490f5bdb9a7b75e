// One request at a time, in process (no HTTP, no load generator): time and CPU time per request,
// the SQL statement count, and what the slowest 1% waited for. For profiling
// (`node --cpu-prof src/profile.ts`) and for reading a tail without autocannon.
// Needs a generated PostgreSQL data set: `$PNPM --filter @school-licenses/bench run generate --db postgres --scale 0.1` (BENCHMARKS.md).
//   node src/profile.ts [--scenario view|availability|entitlement|assign] [--requests 80] [--statements]
// `entitlement` asks, as the organisation's admin, whether holders of licenses hold them (an LMS's check).
// `assign` sends the benchmark's pair, assignLicense then revokeLicense of the license it gave: a
// "request" below is the pair, and its statements are the two requests'.
import { PerformanceObserver } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { createApi, signUserToken, systemClock } from '@school-licenses/api';
import { openDatabase } from '@school-licenses/db';
import { readManifest } from './data-set.ts';
import { DEFAULT_SERVER_URL, targetOf } from './database.ts';
import { cpuTicks, stealPercent } from './machine.ts';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { availabilityBodies, body, entitlementBodies, viewBodies } from './operations.ts';
import { openSql } from './sql.ts';

const { values } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'view' },
    requests: { type: 'string', default: '80' },
    statements: { type: 'boolean', default: false },
  },
});
const scenario = values.scenario;
if (scenario !== 'view' && scenario !== 'availability' && scenario !== 'entitlement' && scenario !== 'assign') {
  throw new Error(`--scenario is view, availability, entitlement or assign, not ${scenario}`);
}
const requests = Number(values.requests);

const { url } = targetOf('postgres', process.env.DATABASE_URL ?? DEFAULT_SERVER_URL);
const sql = await openSql({ url });
const manifest = await readManifest(sql);
await sql.close();
let statements = 0;
// With --statements, the first request's statements are printed, one a line.
const database = await openDatabase({
  url,
  onQuery: (text) => {
    statements++;
    if (values.statements && printing) console.log(`${statements}. ${text.replace(/\s+/g, ' ').slice(0, 160)}`);
  },
});
let printing = true;
const secret = 'profile-secret-that-is-long-enough-0123456789';
const quiet = { debug() {}, info() {}, warn: console.warn, error: console.error };
const api = createApi({ prisma: database.prisma, sql: database.sql, clock: systemClock, auth: { jwtSecret: secret }, graphiql: false, log: quiet });
const token = await signUserToken({ jwtSecret: secret }, manifest.adminId);
const send = async (body: string) => {
  const response = await api.fetch('http://bench/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body,
  });
  return response.text();
};
// The benchmark's assignment (bench.ts): a free student of each school and product, reusing a
// license of the pool's earliest end date; the revoke puts it back.
const assignBodies = manifest.schools.flatMap((school) =>
  school.products.map((product) =>
    body('Assign', {
      input: {
        school: encodeGlobalID('School', school.id),
        product: encodeGlobalID('Product', product.id),
        user: encodeGlobalID('User', product.freeStudents[0]!),
        reuseStarted: true,
        endDate: product.poolEndDate,
      },
    }),
  ),
);
const assignThenRevoke = async (assign: string) => {
  const assigned = await send(assign);
  const license = (JSON.parse(assigned) as { data?: { assignLicense?: { license?: { id: string } } } }).data?.assignLicense?.license?.id;
  if (!license) throw new Error(`assignLicense gave no license: ${assigned.slice(0, 200)}`);
  return assigned + (await send(body('Revoke', { license })));
};
const bodies = { view: viewBodies, availability: availabilityBodies, entitlement: entitlementBodies, assign: () => assignBodies }[scenario](manifest);
const request = scenario === 'assign' ? assignThenRevoke : send;

// GC pauses by their place on the clock, to tell the slow requests that waited for one.
const pauses: { start: number; end: number }[] = [];
const gcObserver = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) pauses.push({ start: entry.startTime, end: entry.startTime + entry.duration });
});
gcObserver.observe({ entryTypes: ['gc'] });

interface Sample {
  start: number;
  end: number;
  cpuMs: number;
}
const samples: Sample[] = [];
const firstMeasured = Math.floor(requests / 2);
let ticksOfSecondHalf = cpuTicks();
for (let i = 0; i < requests; i++) {
  if (i === firstMeasured) ticksOfSecondHalf = cpuTicks();
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  statements = 0;
  const text = await request(bodies[i % bodies.length]!);
  const end = performance.now();
  // CPU time of this process (its share, not the database's), GC and compiler threads included.
  const cpu = process.cpuUsage(cpuBefore);
  if (i >= firstMeasured) samples.push({ start, end, cpuMs: (cpu.user + cpu.system) / 1000 });
  if (i === 0) console.log(`${text.length.toLocaleString('en')} bytes, ${statements} statements: ${text.slice(0, 80)}…`);
  printing = false;
}
const ticks = cpuTicks();
await new Promise((resolve) => setTimeout(resolve, 20)); // the last GC entries arrive after a tick
gcObserver.disconnect();

const wall = (sample: Sample) => sample.end - sample.start;
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
const byWall = samples.map(wall).sort((a, b) => a - b);
const p99 = percentile(byWall, 0.99);
const cpuPerRequest = samples.reduce((sum, sample) => sum + sample.cpuMs, 0) / samples.length;
const waitedForGc = (sample: Sample) => pauses.some((pause) => pause.end > sample.start && pause.start < sample.end);
const slowest = samples.filter((sample) => wall(sample) >= p99);
console.log(
  `${scenario}, second half of ${requests} requests: median ${percentile(byWall, 0.5).toFixed(1)} ms, ` +
    `p99 ${p99.toFixed(1)} ms, ${cpuPerRequest.toFixed(2)} ms of CPU per request`,
);
console.log(
  `GC: ${((samples.filter(waitedForGc).length / samples.length) * 100).toFixed(1)}% of the requests waited for a pause; ` +
    `of the ${slowest.length} at or above p99, ${slowest.filter(waitedForGc).length} did`,
);
const steal = stealPercent(ticksOfSecondHalf, ticks);
if (steal !== undefined) console.log(`the host took ${steal.toFixed(1)}% of this machine's CPU time meanwhile (steal)`);
await database.close();
