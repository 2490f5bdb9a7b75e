// `npm run bench -- --cpu-prof <dir>`: a benchmark server profiles what it does between the
// benchmark's start and stop, and writes a profile Node's tools read (as `node --cpu-prof` does).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCpuProfile, stopCpuProfile } from './cpu-profile.ts';

const serverFile = fileURLToPath(new URL('./server.ts', import.meta.url));

describe('a benchmark server profiled over its IPC channel', () => {
  let child: ChildProcess;
  let port: number;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bench-profile-'));
    // The baseline on an empty in-memory PGlite: its handler runs, whatever it answers.
    child = spawn(process.execPath, [serverFile, '--kind', 'baseline', '--data-dir', 'memory://', '--jwt-secret', 'x'.repeat(40)], {
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    });
    port = await new Promise<number>((resolve, reject) => {
      let output = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const match = /listening (\d+)/.exec(output);
        if (match) resolve(Number(match[1]));
      });
      child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${output}`)));
    });
  });

  afterAll(async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  });

  it('writes a V8 CPU profile of the requests served between start and stop', async () => {
    await startCpuProfile(child);
    // Long enough for V8's sampler (a sample every millisecond) to find the handler at work.
    for (const until = Date.now() + 1_000; Date.now() < until; ) {
      const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ operationName: 'Availability', query: '{ __typename }' }),
      });
      await response.arrayBuffer();
    }
    const file = await stopCpuProfile(child, join(dir, 'baseline.cpuprofile'));
    expect(file).toBe(join(dir, 'baseline.cpuprofile'));
    const profile = JSON.parse(await readFile(file, 'utf8')) as {
      nodes: { callFrame: { url: string } }[];
      samples: number[];
      startTime: number;
      endTime: number;
    };
    expect(profile.samples.length).toBeGreaterThan(0);
    expect(profile.endTime).toBeGreaterThan(profile.startTime);
    expect(profile.nodes.some((node) => node.callFrame.url.endsWith('/baseline.ts'))).toBe(true);
  });

  it('refuses to stop a profile it never started, and keeps serving', async () => {
    await expect(stopCpuProfile(child, join(dir, 'none.cpuprofile'))).rejects.toThrow('no profile started');
    const response = await fetch(`http://127.0.0.1:${port}/graphql`, { method: 'POST', body: '{}' });
    expect(response.status).toBeGreaterThanOrEqual(200);
  });
});
