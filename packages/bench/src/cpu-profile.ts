// A V8 CPU profile of a benchmark server's measured run only (`npm run bench -- --cpu-prof <dir>`).
// Node's own --cpu-prof covers a process's whole life, and each server process serves its warm-up
// before the measured run; so the benchmark asks the server, over the IPC channel it was started
// with, to start V8's profiler after the warm-up and to write the profile after the run.
import type { ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';

type ProfileMessage = { cpuProfile: 'start' } | { cpuProfile: 'stop'; file: string };
type ProfileReply = { cpuProfile: 'started' } | { cpuProfile: 'written'; file: string } | { cpuProfile: 'failed'; message: string };

/** In a server started with an IPC channel: starts and writes profiles when the benchmark asks. */
export function answerProfileRequests(): void {
  if (!process.send) return;
  let session: Session | undefined;
  process.on('message', (message: ProfileMessage) => {
    void (async (): Promise<ProfileReply> => {
      if (message.cpuProfile === 'start') {
        session = new Session();
        session.connect();
        await session.post('Profiler.enable');
        await session.post('Profiler.start');
        return { cpuProfile: 'started' };
      }
      if (!session) throw new Error('no profile started');
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      session = undefined;
      await writeFile(message.file, JSON.stringify(profile));
      return { cpuProfile: 'written', file: message.file };
    })()
      .catch((error: unknown): ProfileReply => ({ cpuProfile: 'failed', message: String(error) }))
      .then((reply) => process.send!(reply));
  });
}

function ask(child: ChildProcess, message: ProfileMessage): Promise<ProfileReply> {
  return new Promise((resolve, reject) => {
    const onReply = (reply: ProfileReply) => {
      if (typeof reply !== 'object' || reply === null || !('cpuProfile' in reply)) return;
      child.off('message', onReply);
      if (reply.cpuProfile === 'failed') reject(new Error(`CPU profile: ${reply.message}`));
      else resolve(reply);
    };
    child.on('message', onReply);
    child.send(message);
  });
}

/** Starts the server's profiler (the server was spawned with an 'ipc' stdio entry). */
export async function startCpuProfile(child: ChildProcess): Promise<void> {
  await ask(child, { cpuProfile: 'start' });
}

/** Stops it and has the server write the profile (a .cpuprofile, as `node --cpu-prof` writes) to `file`. */
export async function stopCpuProfile(child: ChildProcess, file: string): Promise<string> {
  const reply = await ask(child, { cpuProfile: 'stop', file });
  return reply.cpuProfile === 'written' ? reply.file : file;
}
