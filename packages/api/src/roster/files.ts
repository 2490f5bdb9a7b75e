// The files of an import, from a directory (the command) or an upload (the mutation), read as UTF-8
// text in chunks with a size limit, so a large file never sits in memory as one buffer.
import { openAsBlob } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { RecordError } from './snapshot.ts';

/** What a Web `File` (an upload) has, and what a file on disk is opened as. */
export interface RosterFile {
  name: string;
  size: number;
  stream(): ReadableStream<Uint8Array>;
}

/** 50 MB per file unless configured otherwise (ROSTER_IMPORT_MAX_FILE_BYTES, --max-file-mb). */
export const DEFAULT_MAX_FILE_BYTES = 50 * 1024 * 1024;

/** A file the import cannot read: the whole import is refused with this as its report. */
export class RosterFileError extends Error {
  override name = 'RosterFileError';
  readonly error: RecordError;

  constructor(error: RecordError) {
    super(`${error.file}${error.line ? `:${error.line}` : ''}: ${error.message}`);
    this.error = error;
  }
}

/** Every file of a directory (not its subdirectories), or the one file a path names. */
export async function filesAt(path: string): Promise<RosterFile[]> {
  const info = await stat(path);
  const paths = info.isDirectory() ? (await readdir(path, { withFileTypes: true })).filter((e) => e.isFile()).map((e) => join(path, e.name)) : [path];
  return Promise.all(
    paths.sort().map(async (file) => {
      const blob = await openAsBlob(file);
      return { name: basename(file), size: blob.size, stream: () => blob.stream() as ReadableStream<Uint8Array> };
    }),
  );
}

/** Refuses a file over the limit before reading a byte of it. */
export function checkSize(file: RosterFile, maxBytes: number): void {
  if (file.size > maxBytes) {
    throw new RosterFileError({
      code: 'FILE_TOO_LARGE',
      file: file.name,
      field: null,
      message: `The file is ${megabytes(file.size)} MB; the limit is ${megabytes(maxBytes)} MB per file.`,
    });
  }
}

function megabytes(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1).replace(/\.0$/, '');
}

/**
 * The file's text in chunks. A byte order mark is dropped; bytes that are not UTF-8 (a file saved
 * as Latin-1 or UTF-16, say) stop the read with NOT_UTF8 and the line they are on.
 */
export async function* readText(file: RosterFile, maxBytes: number): AsyncGenerator<string> {
  checkSize(file, maxBytes);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let line = 1;
  let bytes = 0;
  const reader = file.stream().getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      let text: string;
      try {
        text = done ? decoder.decode() : decoder.decode(value, { stream: true });
      } catch {
        const partial = done ? '' : new TextDecoder('utf-8').decode(value);
        const before = partial.slice(0, Math.max(0, partial.indexOf('\uFFFD')));
        throw new RosterFileError({
          code: 'NOT_UTF8',
          file: file.name,
          line: line + countLines(before),
          field: null,
          message: 'The file is not UTF-8 text (save it as UTF-8; a byte order mark is fine).',
        });
      }
      if (text) {
        line += countLines(text);
        yield text;
      }
      if (done) return;
      // A stream may be longer than the size it declared (an upload's part): count what arrives.
      bytes += value.byteLength;
      if (bytes > maxBytes) checkSize({ ...file, size: bytes }, maxBytes);
    }
  } finally {
    // Stops reading when the caller gives up early (an error in the file, the limit reached).
    await reader.cancel().catch(() => {});
  }
}

function countLines(text: string): number {
  let count = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) count++;
  return count;
}

/** The whole file as text, for the small JSON documents of SS 12000. */
export async function readAllText(file: RosterFile, maxBytes: number): Promise<string> {
  let text = '';
  for await (const chunk of readText(file, maxBytes)) text += chunk;
  return text;
}
