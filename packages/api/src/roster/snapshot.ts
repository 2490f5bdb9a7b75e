// The one shape every roster format is read into: the parsers (OneRoster CSV, SS 12000 JSON) only
// translate; checking references and applying the result to the database happen once, on this shape.

export type RosterFormat = 'oneroster-csv' | 'ss12000';

/** A full snapshot ends whatever it does not mention; a delta changes only what it names. */
export type SyncMode = 'FULL' | 'DELTA';

export type RosterRole = 'STUDENT' | 'TEACHER' | 'SCHOOL_ADMIN';

/** A class (the students' home group), a teaching group of one subject, a mentor group, or OTHER. */
export type RosterGroupKind = 'CLASS' | 'TEACHING_GROUP' | 'MENTOR_GROUP' | 'OTHER';

/** Where a record came from, for error reports: a CSV file and line, or a JSON file and pointer. */
export interface RecordSource {
  file: string;
  /** 1-based line of the record in a CSV file (the header is line 1). */
  line?: number;
  /** RFC 6901 pointer to the record in a JSON document. */
  pointer?: string;
}

export type RecordErrorCode =
  | 'MISSING_FILE'
  | 'MISSING_COLUMN'
  | 'UNKNOWN_REFERENCE'
  | 'DUPLICATE_ID'
  | 'NOT_UTF8'
  | 'FILE_TOO_LARGE'
  | 'INVALID_VALUE'
  | 'UNREADABLE';

export interface RecordError extends RecordSource {
  code: RecordErrorCode;
  /** The column or JSON field the error concerns; null when it concerns the whole file or record. */
  field: string | null;
  message: string;
}

/**
 * Records of a delta that the source marks as deleted (OneRoster status `tobedeleted`, an SS 12000
 * record with a past end date is simply an ended record) carry `deleted: true`.
 */
interface Sourced {
  source: RecordSource;
  deleted?: boolean;
}

export interface SnapshotSchool extends Sourced {
  externalId: string;
  name: string;
  /** The Swedish school unit code (skolenhetskod), when the source has one. */
  schoolUnitCode: string | null;
}

export interface SnapshotPerson extends Sourced {
  externalId: string;
  givenName: string;
  familyName: string;
  email: string | null;
}

export interface SnapshotSchoolMembership extends Sourced {
  personExternalId: string;
  schoolExternalId: string;
  role: RosterRole;
  startDate: Date | null;
  endDate: Date | null;
  /** The fields that name the person and the school, for reports: they differ by file. */
  fields: { person: string; school: string };
}

export interface SnapshotGroup extends Sourced {
  externalId: string;
  schoolExternalId: string;
  name: string;
  kind: RosterGroupKind;
  /** The grade (årskurs) of its students, when the source gives one grade. */
  grade: number | null;
  /** When the group runs: a new school year's snapshot has new groups, and last year's end. */
  startDate: Date | null;
  endDate: Date | null;
}

export interface SnapshotGroupMembership extends Sourced {
  groupExternalId: string;
  personExternalId: string;
  role: RosterRole;
  startDate: Date | null;
  endDate: Date | null;
}

export interface RosterSnapshot {
  format: RosterFormat;
  mode: SyncMode;
  schools: SnapshotSchool[];
  persons: SnapshotPerson[];
  schoolMemberships: SnapshotSchoolMembership[];
  groups: SnapshotGroup[];
  groupMemberships: SnapshotGroupMembership[];
  /** Organisations that are not schools (a district, a huvudman): memberships of them are skipped. */
  otherOrganisations: Set<string>;
  /** Problems found while reading; any error means nothing is written. */
  errors: RecordError[];
}

export function emptySnapshot(format: RosterFormat, mode: SyncMode = 'FULL'): RosterSnapshot {
  return { format, mode, schools: [], persons: [], schoolMemberships: [], groups: [], groupMemberships: [], otherOrganisations: new Set(), errors: [] };
}

/** A calendar date (YYYY-MM-DD, or a full ISO timestamp) as midnight UTC; undefined when it is not one. */
export function parseDate(value: string): Date | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})(?:$|T)/.exec(value.trim());
  if (!match) return undefined;
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  return date.getUTCDate() === Number(match[3]) ? date : undefined;
}

/**
 * One string per external id and one Date per day, however many rows repeat them: a municipality's
 * enrollments name each person and group again, 150,000 times (flat memory, BENCHMARKS.md).
 */
export class Interner {
  private readonly strings = new Map<string, string>();
  private readonly dates = new Map<string, Date | undefined>();

  string(value: string): string {
    const seen = this.strings.get(value);
    if (seen !== undefined) return seen;
    this.strings.set(value, value);
    return value;
  }

  /** parseDate's, shared: nothing changes a snapshot's dates. */
  date(value: string): Date | undefined {
    if (!this.dates.has(value)) this.dates.set(value, parseDate(value));
    return this.dates.get(value);
  }
}
