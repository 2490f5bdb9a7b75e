// Where the benchmark's data lives: a database of its own on the PostgreSQL server
// (licenses_bench, dropped afterwards), or a PGlite directory under .data/bench.
import { mkdir, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '@school-licenses/db';
import pg from 'pg';
import { generateDataSet, progressBar, type Scale } from './data-set.ts';
import { openSql } from './sql.ts';

export type Backend = 'postgres' | 'pglite';
export interface Target {
  url?: string | undefined;
  dataDir?: string | undefined;
}

export const DEFAULT_SERVER_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
/** The benchmark's own database on the server; BENCH_DATABASE names another (two runs on one server at once). */
export const BENCH_DATABASE = process.env.BENCH_DATABASE || 'licenses_bench';
export const PGLITE_DIR = fileURLToPath(new URL('../../../.data/bench/pglite', import.meta.url));

export function targetOf(backend: Backend, serverUrl = DEFAULT_SERVER_URL): Target {
  if (backend === 'pglite') return { dataDir: PGLITE_DIR };
  const url = new URL(serverUrl);
  url.pathname = `/${BENCH_DATABASE}`;
  return { url: url.toString() };
}

async function onServer(serverUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A fresh, migrated database filled with the generated data set. */
export async function prepareDatabase(backend: Backend, scale: Scale, serverUrl = DEFAULT_SERVER_URL): Promise<{ rows: number; seconds: number }> {
  const started = Date.now();
  const target = targetOf(backend, serverUrl);
  if (backend === 'postgres') {
    await onServer(serverUrl, `DROP DATABASE IF EXISTS "${BENCH_DATABASE}" WITH (FORCE)`);
    await onServer(serverUrl, `CREATE DATABASE "${BENCH_DATABASE}"`);
  } else {
    await rm(PGLITE_DIR, { recursive: true, force: true });
    await mkdir(PGLITE_DIR, { recursive: true });
  }
  const database = await openDatabase(target);
  await database.migrate();
  await database.close();
  const sql = await openSql(target, 1);
  const bar = progressBar();
  try {
    const rows = await generateDataSet(sql, scale, bar);
    return { rows, seconds: (Date.now() - started) / 1000 };
  } finally {
    bar.finish();
    await sql.close();
  }
}

export async function dropBenchDatabase(backend: Backend, serverUrl = DEFAULT_SERVER_URL): Promise<void> {
  if (backend === 'postgres') await onServer(serverUrl, `DROP DATABASE IF EXISTS "${BENCH_DATABASE}" WITH (FORCE)`);
  else await rm(PGLITE_DIR, { recursive: true, force: true });
}
