// One request at a time, in process (no HTTP, no load generator): the admin view's time and CPU
// time per request and its SQL statement count, for profiling (`node --cpu-prof --import tsx src/profile.ts`).
// Needs a generated PostgreSQL data set: `pnpm run generate --db postgres --scale 0.1`.
//   tsx src/profile.ts [requests]
import { encodeGlobalID } from '@pothos/plugin-relay';
import { createApi, signUserToken, systemClock } from '@school-licenses/api';
import { openDatabase } from '@school-licenses/db';
import { readManifest } from './data-set.ts';
import { DEFAULT_SERVER_URL, targetOf } from './database.ts';
import { body, VIEW_PAGE_SIZE } from './operations.ts';
import { openSql } from './sql.ts';

const { url } = targetOf('postgres', process.env.DATABASE_URL ?? DEFAULT_SERVER_URL);
const sql = await openSql({ url });
const manifest = await readManifest(sql);
await sql.close();
let statements = 0;
const database = await openDatabase({ url, onQuery: () => statements++ });
const secret = 'profile-secret-that-is-long-enough-0123456789';
const quiet = { debug() {}, info() {}, warn: console.warn, error: console.error };
const api = createApi({ prisma: database.prisma, clock: systemClock, auth: { jwtSecret: secret }, graphiql: false, log: quiet });
const token = await signUserToken({ jwtSecret: secret }, manifest.adminId);
const requests = Number(process.argv[2] ?? 80);
const times: number[] = [];
let cpuOfSecondHalf = process.cpuUsage();
for (let i = 0; i < requests; i++) {
  if (i === Math.floor(requests / 2)) cpuOfSecondHalf = process.cpuUsage();
  const school = manifest.schools[i % manifest.schools.length]!;
  const started = performance.now();
  statements = 0;
  const response = await api.fetch('http://bench/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: body('AdminView', { school: encodeGlobalID('School', school.id), first: VIEW_PAGE_SIZE }),
  });
  const text = await response.text();
  times.push(performance.now() - started);
  if (i === 0) console.log(`${text.length.toLocaleString('en')} bytes, ${statements} statements: ${text.slice(0, 80)}…`);
}
const warm = times.slice(Math.floor(requests / 2)).sort((a, b) => a - b);
// CPU time of this process (the API's share, not the database's): steadier than the clock on a busy machine.
const cpu = process.cpuUsage(cpuOfSecondHalf);
const cpuPerRequest = (cpu.user + cpu.system) / 1000 / warm.length;
console.log(`admin view, second half of ${requests} requests: median ${warm[Math.floor(warm.length / 2)]!.toFixed(1)} ms, ${cpuPerRequest.toFixed(1)} ms of CPU per request`);
await database.close();
