// `npm run bench`: the API against the hand-written SQL baseline over HTTP, on PostgreSQL and on
// PGlite, on a generated data set. Not a test: it prints a table and writes the numbers to
// .data/bench/results-<backend>.json. See BENCHMARKS.md for what it measures and the results.
//
//   npm run bench -- [--db postgres,pglite] [--scale 1] [--duration 15] [--warmup 20] [--connections 10]
//              [--memory-duration 60] [--only floor,view,availability,entitlement,assign,memory] [--servers api,baseline]
//              [--rounds 1] [--turn 2] [--reuse] [--keep] [--plan-cache-size N] [--relation-load-strategy query]
//              [--prepared-statements on|off] [--label text] [--licenses 1] [--cpu-prof dir]
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { availableParallelism, cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { signUserToken } from '@school-licenses/api';
import { encodeGlobalID } from '@pothos/plugin-relay';
import autocannon from 'autocannon';
import { readManifest, scaled, type Manifest } from './data-set.ts';
import { DEFAULT_SERVER_URL, dropBenchDatabase, prepareDatabase, targetOf, type Backend, type Target } from './database.ts';
import { startCpuProfile, stopCpuProfile } from './cpu-profile.ts';
import { cpuTicks, postgresCpuMs, statCpuMs, stealPercent } from './machine.ts';
import { availabilityBodies, body, entitlementBodies, VIEW_PAGE_SIZE, viewBodies } from './operations.ts';
import { openSql } from './sql.ts';

const { values } = parseArgs({
  options: {
    db: { type: 'string', default: 'postgres,pglite' },
    scale: { type: 'string', default: '1' },
    // Licenses per school and product times this (10: 2,000 each instead of 200; data-set.ts).
    licenses: { type: 'string', default: '1' },
    duration: { type: 'string', default: '15' },
    // Seconds of the same load before each measurement, on a fresh server process.
    warmup: { type: 'string', default: '20' },
    connections: { type: 'string', default: '10' },
    'memory-duration': { type: 'string', default: '60' },
    // Each load this many times, API and baseline in turn: the table shows the medians.
    rounds: { type: 'string', default: '1' },
    // PostgreSQL: seconds of each turn, the two servers taking turns at the load until each has had --duration.
    turn: { type: 'string', default: '2' },
    only: { type: 'string', default: 'floor,view,availability,entitlement,assign,memory' },
    servers: { type: 'string', default: 'api,baseline' },
    reuse: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    'plan-cache-size': { type: 'string' },
    'relation-load-strategy': { type: 'string' },
    // off: both servers send unnamed statements, which PostgreSQL parses and plans at every query.
    'prepared-statements': { type: 'string', default: 'on' },
    label: { type: 'string', default: '' },
    // A V8 CPU profile of each server's measured run (not its warm-up), written into this directory.
    'cpu-prof': { type: 'string' },
  },
});

const JWT_SECRET = 'benchmark-secret-that-is-long-enough-0123456789';
const serverUrl = process.env.DATABASE_URL ?? DEFAULT_SERVER_URL;
const duration = Number(values.duration);
const warmup = Number(values.warmup);
const connections = Number(values.connections);
const rounds = Number(values.rounds);
const turn = Number(values.turn);
const only = new Set(values.only.split(','));
const serverFile = fileURLToPath(new URL('./server.ts', import.meta.url));
const resultsDir = fileURLToPath(new URL('../../../.data/bench/', import.meta.url));
const profileDir = values['cpu-prof'] === undefined ? undefined : resolve(values['cpu-prof']);

type ServerKind = 'api' | 'baseline';

interface Measurement {
  scenario: string;
  server: ServerKind;
  connections: number;
  seconds: number;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  requests: number;
  /** Responses with GraphQL errors, typed errors or a non-2xx status. */
  failures: number;
  firstFailure?: string | undefined;
  rssStartMb: number;
  rssEndMb: number;
  /** The server process's CPU time (user + system, /proc/<pid>/stat) per answered request, in ms. */
  cpuMsPerRequest?: number | undefined;
  /** PostgreSQL only: its server processes' CPU time per answered request, in ms (machine.ts, postgresCpuMs). */
  databaseCpuMsPerRequest?: number | undefined;
  /** Memory run only: RSS growth from the end of warm-up (first 10 s) to the end. */
  rssGrowth?: number;
  /** The share of the machine's CPU time the host took during the run (Linux), in percent. */
  stealPercent?: number | undefined;
  /** Latencies of the warm-up that came before, on the fresh process: what a new server answers with. */
  warmup?: { p50: number; p99: number };
}

// ---------------------------------------------------------------------------------------------
// Servers in their own processes

interface Server {
  kind: ServerKind;
  backend: Backend;
  port: number;
  process: ChildProcess;
}

async function startServer(kind: ServerKind, backend: Backend, target: Target): Promise<Server> {
  // As the API's start script runs it (packages/api/package.json: Node's default options); the baseline too.
  const args = [serverFile, '--kind', kind, '--jwt-secret', JWT_SECRET];
  if (target.url) args.push('--url', target.url);
  if (target.dataDir) args.push('--data-dir', target.dataDir);
  if (values['plan-cache-size'] !== undefined) args.push('--plan-cache-size', values['plan-cache-size']);
  if (values['relation-load-strategy']) args.push('--relation-load-strategy', values['relation-load-strategy']);
  args.push('--prepared-statements', values['prepared-statements']);
  // With --cpu-prof, an IPC channel, on which the benchmark asks for the measured run's profile.
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'inherit', ...(profileDir ? (['ipc'] as const) : [])],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  const port = await new Promise<number>((resolve, reject) => {
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening (\d+)/.exec(output);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`${kind} server exited with ${code}: ${output}`)));
  });
  child.stdout!.resume();
  return { kind, backend, port, process: child };
}

/** Runs `work` with the server's CPU profiled when --cpu-prof asks for it: the profile is written to <dir>/<backend>-<server>-<scenario>-c<connections>.cpuprofile. */
async function profiled<T>(server: Server, load: Load, work: () => Promise<T>): Promise<T> {
  if (!profileDir) return work();
  await mkdir(profileDir, { recursive: true });
  await startCpuProfile(server.process);
  const result = await work();
  const scenario = load.scenario.replace(/\W+/g, '-').replace(/^-|-$/g, '');
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const file = await stopCpuProfile(server.process, join(profileDir, `${server.backend}-${server.kind}-${scenario}-c${load.connections}-${stamp}.cpuprofile`));
  console.log(`CPU profile of the measured run: ${file}`);
  return result;
}

async function stopServer(server: Server): Promise<void> {
  if (server.process.exitCode !== null) return;
  const exited = new Promise((resolve) => server.process.once('exit', resolve));
  server.process.kill('SIGTERM');
  await exited;
}

/** CPU time a process has used so far (user + system), in ms (Linux); null elsewhere. */
async function processCpuMs(pid: number): Promise<number | null> {
  try {
    return statCpuMs(await readFile(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
}

/** Resident set size of a process, in MB (Linux). */
async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

// ---------------------------------------------------------------------------------------------
// Load

/** What one connection remembers between its requests. */
interface ConnectionState {
  slot?: number;
  license?: string;
}

/** One request of a connection's sequence. */
interface Step {
  setupRequest: (request: autocannon.Request, state: ConnectionState) => autocannon.Request;
  onResponse?: (status: number, text: string, state: ConnectionState) => void;
}

interface Load {
  scenario: string;
  connections: number;
  /** A fresh sequence per run (steps may keep counters). */
  requests: () => Step[];
  /** Puts back what a run's last requests left half done (the run ends wherever they are). */
  afterRun?: (server: Server) => Promise<void>;
  /** Sent without the admin's token. */
  anonymous?: boolean;
}

function failureCounter() {
  const state = { failures: 0, first: undefined as string | undefined };
  const check = (status: number, text: string) => {
    if (status >= 300 || text.includes('"errors"') || text.includes('Error"')) {
      state.failures++;
      state.first ??= `${status} ${text.slice(0, 300)}`;
      return false;
    }
    return true;
  };
  return { state, check };
}

async function run(server: Server, load: Load, seconds: number, counter = failureCounter(), onSecond?: (second: number) => Promise<void>) {
  const instance = autocannon({
    url: `http://127.0.0.1:${server.port}/graphql`,
    method: 'POST',
    connections: load.connections,
    duration: seconds,
    headers: { 'content-type': 'application/json', ...(load.anonymous ? {} : { authorization: `Bearer ${token}` }) },
    requests: load.requests().map(
      (step): autocannon.Request => ({
        method: 'POST',
        path: '/graphql',
        setupRequest: (request, context) => step.setupRequest(request, context as ConnectionState),
        onResponse: (status, text, context) => {
          if (counter.check(status, text)) step.onResponse?.(status, text, context as ConnectionState);
        },
      }),
    ),
  });
  let timer: NodeJS.Timeout | undefined;
  if (onSecond) {
    let second = 0;
    timer = setInterval(() => void onSecond(++second), 1000);
  }
  const result = await instance;
  clearInterval(timer);
  await load.afterRun?.(server);
  return { result, counter };
}

type Latencies = NonNullable<Measurement['warmup']>;

async function measure(server: Server, load: Load): Promise<Measurement> {
  return measureWarm(server, load, duration, await warmUp(server, load));
}

/**
 * A fresh process is slower until V8 has compiled its hot code: the API's p99 at one connection
 * keeps falling for about 20 s (BENCHMARKS.md). Its warm-up latencies are reported too.
 */
async function warmUp(server: Server, load: Load): Promise<Latencies> {
  const { result } = await run(server, load, warmup);
  return { p50: result.latency.p50, p99: result.latency.p99 };
}

/** `seconds` of the load on a server that has had its warm-up (`warm`: its latencies). */
async function measureWarm(server: Server, load: Load, seconds: number, warm: Latencies): Promise<Measurement> {
  const rssStartMb = await rssMb(server.process.pid!);
  const ticks = cpuTicks();
  const cpuStart = await processCpuMs(server.process.pid!);
  const databaseStart = server.backend === 'postgres' ? postgresCpuMs() : null;
  const { result, counter } = await profiled(server, load, () => run(server, load, seconds));
  const cpuEnd = await processCpuMs(server.process.pid!);
  const databaseEnd = server.backend === 'postgres' ? postgresCpuMs() : null;
  const databaseMs = databaseStart === null || databaseEnd === null ? undefined : databaseEnd - databaseStart;
  const perRequest = (ms: number | undefined) => (ms === undefined || result.requests.total === 0 ? undefined : ms / result.requests.total);
  return measurementOf(load.scenario, server, load, seconds, result, counter, {
    rssStartMb,
    cpuMsPerRequest: perRequest(cpuStart === null || cpuEnd === null ? undefined : cpuEnd - cpuStart),
    databaseCpuMsPerRequest: perRequest(databaseMs),
    rssEndMb: await rssMb(server.process.pid!),
    stealPercent: stealPercent(ticks, cpuTicks()),
    warmup: warm,
  });
}

type RunOutcome = Awaited<ReturnType<typeof run>>;

/** One row of the report, from autocannon's result and our failure counter. */
function measurementOf(
  scenario: string,
  server: Server,
  load: Load,
  seconds: number,
  result: RunOutcome['result'],
  counter: RunOutcome['counter'],
  memory: Pick<Measurement, 'rssStartMb' | 'rssEndMb' | 'rssGrowth' | 'stealPercent' | 'warmup' | 'cpuMsPerRequest' | 'databaseCpuMsPerRequest'>,
): Measurement {
  return {
    scenario,
    server: server.kind,
    connections: load.connections,
    seconds,
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    failures: counter.state.failures + result.non2xx + result.errors + result.timeouts,
    firstFailure: counter.state.first,
    ...memory,
  };
}

/** The view under load for `seconds`, sampling RSS every second. */
async function measureMemory(server: Server, load: Load, seconds: number): Promise<Measurement> {
  const samples: number[] = [];
  const counter = failureCounter();
  const ticks = cpuTicks();
  const { result } = await profiled(server, load, () =>
    run(server, load, seconds, counter, async () => {
      samples.push(await rssMb(server.process.pid!));
    }),
  );
  // Growth after warm-up: the mean of the first 10 s against the mean of the last 10 s.
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const early = mean(samples.slice(0, 10));
  const late = mean(samples.slice(-10));
  return measurementOf(`memory (${load.scenario})`, server, load, seconds, result, counter, {
    rssStartMb: early,
    rssEndMb: late,
    rssGrowth: late / early - 1,
    stealPercent: stealPercent(ticks, cpuTicks()),
  });
}

let token = '';
let assignSlots = 0;
const freeSlots: number[] = [];
/** Revokes a license through a server, as the benchmark's revoke does; a license revoked already is answered with an error, and that is all. */
async function revoke(server: Server, license: string): Promise<void> {
  const response = await fetch(`http://127.0.0.1:${server.port}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: body('Revoke', { license }),
  });
  await response.text();
}

/** The slots taken from the pool and not given back yet, with the license each got (once its assign answered). */
const takenSlots = new Map<number, string | undefined>();

function loads(manifest: Manifest): Record<string, Load[]> {
  const schools = manifest.schools;
  const views = viewBodies(manifest);
  const availabilities = availabilityBodies(manifest);
  const entitlements = entitlementBodies(manifest);
  const rotating = (bodies: string[]) => (): Step[] => {
    let next = 0;
    return [{ setupRequest: (request) => ({ ...request, body: bodies[next++ % bodies.length] }) }];
  };
  // Each pass assigns a license from the pool of a school and product to a student, then revokes
  // it: the license goes back to the pool, which so never runs dry.
  const assignThenRevoke = (): Step[] => {
    const slotOf = (state: ConnectionState) => {
      // autocannon gives each connection a fresh state at every pass through the sequence, so
      // a slot (school, product, student) is taken from a shared pool for one assign + revoke
      // and given back after the revoke, or after the run (releaseSlots) when it ended between the two.
      if (state.slot === undefined) {
        state.slot = freeSlots.pop() ?? assignSlots++;
        takenSlots.set(state.slot, undefined);
      }
      return slotAt(state.slot);
    };
    return [
      {
        setupRequest: (request, state) => {
          const { school, product, student } = slotOf(state);
          return {
            ...request,
            body: body('Assign', {
              input: {
                school: encodeGlobalID('School', school.id),
                product: encodeGlobalID('Product', product.id),
                user: encodeGlobalID('User', student),
                reuseStarted: true,
                endDate: product.poolEndDate,
              },
            }),
          };
        },
        onResponse: (_status, text, state) => {
          state.license = (JSON.parse(text) as { data: { assignLicense: { license: { id: string } } } }).data.assignLicense.license.id;
          takenSlots.set(state.slot!, state.license);
        },
      },
      {
        setupRequest: (request, state) => ({ ...request, body: body('Revoke', { license: state.license }) }),
        onResponse: (_status, _text, state) => {
          if (state.slot === undefined) return;
          takenSlots.delete(state.slot);
          freeSlots.push(state.slot);
        },
      },
    ];
  };
  const slotAt = (slot: number) => {
    const school = schools[slot % schools.length]!;
    const product = school.products[Math.floor(slot / schools.length) % school.products.length]!;
    const student = product.freeStudents[Math.floor(slot / (schools.length * school.products.length)) % product.freeStudents.length]!;
    return { school, product, student };
  };
  // A run stops with its last requests unanswered, so some students still hold the license their
  // assign gave: revoked here, through the server of the run, so that many short runs (turns) leave
  // the pool as it was. On PostgreSQL the license of an assign whose answer never came is looked
  // up; on PGlite (whose data only the server's process can open) that slot stays taken.
  const releaseSlots = async (server: Server) => {
    await new Promise((resolve) => setTimeout(resolve, 200)); // requests the server was still answering
    const sql = server.backend === 'postgres' && [...takenSlots.values()].includes(undefined) ? await openSql(targetOf('postgres', serverUrl), 1) : undefined;
    try {
      for (const [slot, known] of takenSlots) {
        let license = known;
        if (!license) {
          if (!sql) continue;
          const { product, student } = slotAt(slot);
          const [held] = await sql.query<{ id: string }>(`SELECT id::text FROM "License" WHERE "assignedUserId" = $1::uuid AND "productId" = $2::uuid`, [
            student,
            product.id,
          ]);
          // None: the assign never reached the database, and the slot is free as it is.
          if (held) license = encodeGlobalID('License', held.id);
        }
        if (license) await revoke(server, license);
        takenSlots.delete(slot);
        freeSlots.push(slot);
      }
    } finally {
      await sql?.close();
    }
  };
  return {
    view: [{ scenario: `admin view (first: ${VIEW_PAGE_SIZE})`, connections, requests: rotating(views) }],
    availability: [
      { scenario: 'availability', connections: 1, requests: rotating(availabilities) },
      { scenario: 'availability', connections, requests: rotating(availabilities) },
    ],
    // What an LMS asks at every launch of a product: does this user hold it now?
    entitlement: [
      { scenario: 'entitlement', connections: 1, requests: rotating(entitlements) },
      { scenario: 'entitlement', connections, requests: rotating(entitlements) },
    ],
    assign: [{ scenario: 'assignLicense + revokeLicense', connections, requests: assignThenRevoke, afterRun: releaseSlots }],
    // What a request costs each server before any data: the API's HTTP adapter, yoga's pipeline and
    // the executor against a plain Node handler. The small reads at one connection sit on it.
    floor: [{ scenario: 'floor: { __typename }, no credential', connections: 1, requests: rotating([body('Floor', {})]), anonymous: true }],
  };
}

// ---------------------------------------------------------------------------------------------

const fmt = (n: number, digits = 0) => n.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits });

const steal = (m: Measurement) => (m.stealPercent === undefined ? '' : `, host steal ${fmt(m.stealPercent, 1)}%`);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * One row per load. With several runs (rounds, turns): the median of each number, and the median
 * of the pairs' ratios (each API run against the baseline run beside it), with their range.
 */
function table(backend: Backend, measurements: Measurement[]): string {
  const lines = [
    `| ${backend} | connections | API req/s | baseline req/s | API / baseline | API p50 / p99 ms | baseline p50 / p99 ms | API CPU ms/req (+ PostgreSQL's) | baseline CPU ms/req (+ PostgreSQL's) | API RSS MB | baseline RSS MB |`,
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  const keys = [...new Set(measurements.map((m) => `${m.scenario}@${m.connections}`))];
  for (const key of keys) {
    const api = measurements.filter((m) => `${m.scenario}@${m.connections}` === key && m.server === 'api');
    const base = measurements.filter((m) => `${m.scenario}@${m.connections}` === key && m.server === 'baseline');
    const any = (api[0] ?? base[0])!;
    const rps = (runs: Measurement[]) => (runs.length ? fmt(median(runs.map((m) => m.requestsPerSecond))) : '–');
    const latency = (runs: Measurement[]) => (runs.length ? `${median(runs.map((m) => m.p50))} / ${median(runs.map((m) => m.p99))}` : '–');
    const rss = (runs: Measurement[]) => {
      const m = runs[0];
      if (!m) return '–';
      if (m.rssGrowth === undefined) return fmt(median(runs.map((run) => run.rssEndMb)));
      return `${fmt(m.rssStartMb)} → ${fmt(m.rssEndMb)} (${m.rssGrowth >= 0 ? '+' : ''}${fmt(m.rssGrowth * 100, 1)}%)`;
    };
    const cpu = (runs: Measurement[]) => {
      const median2 = (values: number[]) => (values.length ? fmt(median(values), 2) : undefined);
      const server = median2(runs.flatMap((m) => (m.cpuMsPerRequest === undefined ? [] : [m.cpuMsPerRequest])));
      const database = median2(runs.flatMap((m) => (m.databaseCpuMsPerRequest === undefined ? [] : [m.databaseCpuMsPerRequest])));
      return `${server ?? '–'}${database ? ` + ${database}` : ''}`;
    };
    const ratios = api.flatMap((m, round) => (base[round] ? [m.requestsPerSecond / base[round].requestsPerSecond] : []));
    const ratio = ratios.length
      ? `${fmt(median(ratios) * 100)}%${ratios.length > 1 ? ` (${fmt(Math.min(...ratios) * 100)}–${fmt(Math.max(...ratios) * 100)}%)` : ''}`
      : '–';
    lines.push(
      `| ${any.scenario} | ${any.connections} | ${rps(api)} | ${rps(base)} | ${ratio} | ${latency(api)} | ${latency(base)} | ${cpu(api)} | ${cpu(base)} | ${rss(api)} | ${rss(base)} |`,
    );
  }
  const steals = measurements.flatMap((m) => (m.stealPercent === undefined ? [] : [m.stealPercent]));
  if (steals.length) {
    lines.push(
      `\nThe host took ${fmt(Math.min(...steals), 1)}–${fmt(Math.max(...steals), 1)}% of the machine's CPU time during the runs (steal; median ${fmt(median(steals), 1)}%).`,
    );
  }
  const warmups = keys.flatMap((key) => {
    const warm = (kind: ServerKind) =>
      measurements.filter((m) => `${m.scenario}@${m.connections}` === key && m.server === kind && m.warmup).map((m) => m.warmup!);
    const api = warm('api');
    const base = warm('baseline');
    if (!api.length && !base.length) return [];
    const latency = (runs: NonNullable<Measurement['warmup']>[]) =>
      runs.length ? `${median(runs.map((w) => w.p50))} / ${median(runs.map((w) => w.p99))}` : '–';
    return [`${key} API ${latency(api)}, baseline ${latency(base)}`];
  });
  if (warmups.length) {
    lines.push(`\nDuring the ${warmup}-second warm-up of each fresh server (p50 / p99 ms, medians): ${warmups.join('; ')}.`);
  }
  const failed = measurements.filter((m) => m.failures > 0);
  for (const m of failed) lines.push(`\n${m.server} ${m.scenario}@${m.connections}: ${m.failures} failed responses, first: ${m.firstFailure}`);
  return lines.join('\n');
}

async function benchBackend(backend: Backend): Promise<void> {
  const scale = scaled(Number(values.scale), Number(values.licenses));
  const target = targetOf(backend, serverUrl);
  if (!values.reuse) {
    console.log(`\n${backend}: generating ${scale.schools} schools…`);
    const { rows, seconds } = await prepareDatabase(backend, scale, serverUrl);
    console.log(`${backend}: ${fmt(rows)} rows in ${fmt(seconds, 1)}s`);
  }
  const sql = await openSql(target, 1);
  const manifest = await readManifest(sql);
  await sql.close();
  token = await signUserToken({ jwtSecret: JWT_SECRET }, manifest.adminId, { expiresInSeconds: 86_400 });
  const all = loads(manifest);
  const measurements: Measurement[] = [];
  const record = (m: Measurement) => {
    console.log(
      m.rssGrowth === undefined
        ? `${backend} ${m.server} ${m.scenario}@${m.connections}: ${fmt(m.requestsPerSecond)} req/s, p50 ${m.p50} ms, p99 ${m.p99} ms${m.cpuMsPerRequest === undefined ? '' : `, CPU ${fmt(m.cpuMsPerRequest, 2)} ms/request`}${m.databaseCpuMsPerRequest === undefined ? '' : ` (+ PostgreSQL ${fmt(m.databaseCpuMsPerRequest, 2)})`}${m.warmup ? ` (warm-up ${m.warmup.p50} / ${m.warmup.p99})` : ''}, RSS ${fmt(m.rssEndMb)} MB${steal(m)}${m.failures ? `, ${m.failures} FAILED: ${m.firstFailure}` : ''}`
        : `${backend} ${m.server} ${m.scenario}: RSS ${fmt(m.rssStartMb)} → ${fmt(m.rssEndMb)} MB (${fmt(m.rssGrowth * 100, 1)}%), ${fmt(m.requestsPerSecond)} req/s${steal(m)}`,
    );
    measurements.push(m);
  };
  const kinds = values.servers.split(',') as ServerKind[];
  // PGlite allows one process on its data: each load goes to the API and right after to the
  // baseline, each in a fresh server process; with --rounds, in turn.
  const onEachServer = async (measureOne: (server: Server) => Promise<Measurement>) => {
    for (const kind of kinds) {
      const server = await startServer(kind, backend, target);
      try {
        record(await measureOne(server));
      } finally {
        await stopServer(server);
      }
    }
  };
  // On PostgreSQL both fresh servers run side by side and take turns at the load, `turn` seconds
  // each, the first of a turn alternating, until each has had --duration: how fast the machine is
  // drifts within seconds, and one server measured after the other measured that drift as much as
  // the servers (BENCHMARKS.md, seventeenth session). Each turn is a pair of the table.
  const inTurns = async (load: Load) => {
    const servers: Server[] = [];
    try {
      for (const kind of kinds) servers.push(await startServer(kind, backend, target));
      const warm = new Map<Server, Latencies>();
      for (const server of servers) warm.set(server, await warmUp(server, load));
      // A turn of each, not measured: the first server's warm-up was followed by the other's, and a
      // process idle that long starts slower (the API answered a fifth to two fifths less in its first
      // measured turns of the view and of assign than in its later ones).
      for (const server of servers) await run(server, load, turn);
      for (let index = 0; index < Math.max(1, Math.round(duration / turn)); index++) {
        const measured = new Map<Server, Measurement>();
        for (const server of index % 2 ? [...servers].reverse() : servers) measured.set(server, await measureWarm(server, load, turn, warm.get(server)!));
        for (const server of servers) record(measured.get(server)!);
      }
    } finally {
      for (const server of servers) await stopServer(server);
    }
  };
  for (const scenario of ['floor', 'view', 'availability', 'entitlement', 'assign'] as const) {
    if (!only.has(scenario)) continue;
    for (let round = 0; round < rounds; round++) {
      for (const load of all[scenario]!) {
        if (backend === 'postgres') await inTurns(load);
        else await onEachServer((server) => measure(server, load));
      }
    }
  }
  if (only.has('memory')) {
    await onEachServer((server) => measureMemory(server, all.view![0]!, Number(values['memory-duration'])));
  }
  const report = table(backend, measurements);
  console.log(`\n${report}\n`);
  await mkdir(resultsDir, { recursive: true });
  const file = `${resultsDir}results-${backend}${values.label ? `-${values.label}` : ''}.json`;
  await writeFile(
    file,
    JSON.stringify(
      {
        backend,
        label: values.label,
        scale,
        options: {
          duration,
          warmup,
          connections,
          rounds,
          turn: backend === 'postgres' ? turn : undefined,
          planCacheSize: values['plan-cache-size'] ?? 'default',
          relationLoadStrategy: values['relation-load-strategy'] ?? 'join',
          preparedStatements: values['prepared-statements'],
        },
        machine: { cpus: availableParallelism(), cpu: cpus()[0]?.model, node: process.version },
        measurements,
        table: report,
      },
      null,
      2,
    ),
  );
  console.log(`written to ${file}`);
  if (!values.keep) await dropBenchDatabase(backend, serverUrl);
}

for (const backend of values.db.split(',') as Backend[]) await benchBackend(backend);
