// Reads an import's files in the format it names into one snapshot, and checks it.
import { checkSnapshot, type KnownIds } from './check.ts';
import type { RosterFile } from './files.ts';
import { readOneRosterCsv } from './oneroster-csv.ts';
import type { RosterFormat, RosterSnapshot, SyncMode } from './snapshot.ts';
import { readSs12000 } from './ss12000.ts';

export interface ReadRosterOptions {
  maxFileBytes: number;
  /** SS 12000 has no marker of its own: the caller says whether the files are a delta. */
  ss12000Mode?: SyncMode;
}

/** The snapshot of the files, without cross-checks: see checkSnapshot. */
export function readRoster(format: RosterFormat, files: RosterFile[], options: ReadRosterOptions): Promise<RosterSnapshot> {
  return format === 'oneroster-csv' ? readOneRosterCsv(files, options) : readSs12000(files, { ...options, mode: options.ss12000Mode ?? 'FULL' });
}

/** Reads and checks: the snapshot's errors then list everything that keeps it from being applied. */
export async function readCheckedRoster(
  format: RosterFormat,
  files: RosterFile[],
  options: ReadRosterOptions & { known?: KnownIds | null },
): Promise<RosterSnapshot> {
  const snapshot = await readRoster(format, files, options);
  // A file that could not be read leaves the snapshot partial: its references prove nothing.
  if (!snapshot.errors.some((error) => ['MISSING_FILE', 'MISSING_COLUMN', 'NOT_UTF8', 'FILE_TOO_LARGE', 'UNREADABLE'].includes(error.code))) {
    checkSnapshot(snapshot, snapshot.mode === 'DELTA' ? (options.known ?? null) : null);
  }
  return snapshot;
}
