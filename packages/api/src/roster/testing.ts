// Fixture files for roster tests: the small example sets in fixtures/, with any file replaced.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RosterFile } from './files.ts';

export const FIXTURES = join(import.meta.dirname, 'fixtures');

/** The files of fixtures/<set>, each replaced by `changes[name]` when given (null drops it). */
export function fixtureFiles(set: 'oneroster' | 'ss12000', changes: Record<string, string | Buffer | null> = {}): RosterFile[] {
  const names = new Set([...readdirSync(join(FIXTURES, set)), ...Object.keys(changes)]);
  const files: RosterFile[] = [];
  for (const name of [...names].sort()) {
    const content = name in changes ? changes[name] : readFileSync(join(FIXTURES, set, name));
    if (content !== null && content !== undefined) files.push(new File([content as BlobPart], name));
  }
  return files;
}

/** A fixture file's text, to make a changed copy of it. */
export function fixtureText(set: 'oneroster' | 'ss12000', name: string): string {
  return readFileSync(join(FIXTURES, set, name), 'utf8');
}
