// OneRoster 1.2 CSV (the 1EdTech binding): manifest.csv, orgs.csv, users.csv, roles.csv,
// classes.csv, enrollments.csv and academicSessions.csv, read row by row as they stream in.
// 1.1 files (a user's `role` and `orgSourcedIds` on users.csv, no roles.csv) are read too.
import { Readable, pipeline } from 'node:stream';
import { CsvError, parse } from 'csv-parse';
import { readText, RosterFileError, type RosterFile } from './files.ts';
import { emptySnapshot, Interner, type RecordError, type RosterRole, type RosterSnapshot, type SyncMode } from './snapshot.ts';

/** The columns each file must have; the others the binding defines are optional here. */
const REQUIRED_COLUMNS = {
  'manifest.csv': ['propertyName', 'value'],
  'orgs.csv': ['sourcedId', 'name', 'type'],
  'users.csv': ['sourcedId', 'enabledUser', 'givenName', 'familyName'],
  'roles.csv': ['userSourcedId', 'role', 'orgSourcedId'],
  'academicSessions.csv': ['sourcedId', 'title', 'type', 'startDate', 'endDate'],
  'classes.csv': ['sourcedId', 'title', 'schoolSourcedId'],
  'enrollments.csv': ['classSourcedId', 'schoolSourcedId', 'userSourcedId', 'role'],
} as const;

type FileName = keyof typeof REQUIRED_COLUMNS;

/** Roles of a user at a school. Guardians and other relatives are not members of a school. */
const SCHOOL_ROLES: Record<string, RosterRole | null> = {
  student: 'STUDENT',
  teacher: 'TEACHER',
  aide: 'TEACHER',
  proctor: 'TEACHER',
  administrator: 'SCHOOL_ADMIN',
  principal: 'SCHOOL_ADMIN',
  siteAdministrator: 'SCHOOL_ADMIN',
  districtAdministrator: null,
  systemAdministrator: null,
  guardian: null,
  parent: null,
  relative: null,
};

/** Roles in a class: whoever is not a student teaches it. */
const CLASS_ROLES: Record<string, RosterRole> = { student: 'STUDENT', teacher: 'TEACHER', aide: 'TEACHER', proctor: 'TEACHER', administrator: 'TEACHER' };

// The fields that name a school membership's person and school, one object for all of its rows.
const USER_FIELDS = { person: 'sourcedId', school: 'orgSourcedIds' };
const ROLE_FIELDS = { person: 'userSourcedId', school: 'orgSourcedId' };

export interface ReadOptions {
  maxFileBytes: number;
}

export async function readOneRosterCsv(files: RosterFile[], options: ReadOptions): Promise<RosterSnapshot> {
  const byName = new Map(files.map((file) => [file.name, file]));
  const snapshot = emptySnapshot('oneroster-csv');
  const errors = snapshot.errors;
  const interner = new Interner();
  const read = (name: FileName, onRow: (row: Row) => void) => readCsv(byName.get(name)!, name, options.maxFileBytes, errors, interner, onRow);

  const manifest = byName.get('manifest.csv');
  if (!manifest) {
    errors.push({ code: 'MISSING_FILE', file: 'manifest.csv', field: null, message: 'A OneRoster CSV set needs its manifest.csv.' });
    return snapshot;
  }
  const properties = new Map<string, string>();
  await read('manifest.csv', (row) => properties.set(row.get('propertyName'), row.get('value')));
  const version = properties.get('oneroster.version');
  if (version && !['1.1', '1.2'].includes(version)) {
    errors.push({
      code: 'INVALID_VALUE',
      file: 'manifest.csv',
      field: 'oneroster.version',
      message: `OneRoster ${version} is not supported (1.2 and 1.1 are).`,
    });
    return snapshot;
  }
  // Each file is `bulk` (a full snapshot), `delta` (changes only) or `absent`.
  const present = (name: FileName) => (properties.get(`file.${name.replace(/\.csv$/, '')}`) ?? (byName.has(name) ? 'bulk' : 'absent')) !== 'absent';
  const modes = [...properties].filter(([key, value]) => key.startsWith('file.') && value !== 'absent').map(([, value]) => value);
  snapshot.mode = (modes.includes('delta') ? 'DELTA' : 'FULL') satisfies SyncMode;
  for (const name of ['orgs.csv', 'users.csv', 'roles.csv', 'academicSessions.csv', 'classes.csv', 'enrollments.csv'] as const) {
    if (present(name) && !byName.has(name)) {
      errors.push({ code: 'MISSING_FILE', file: name, field: null, message: `The manifest lists ${name}, but it is not among the files.` });
    }
  }
  for (const name of ['orgs.csv', 'users.csv'] as const) {
    if (!present(name)) errors.push({ code: 'MISSING_FILE', file: name, field: null, message: `A roster import needs ${name}.` });
  }
  if (errors.length) return snapshot;

  await read('orgs.csv', (row) => {
    // Districts and the like are the organisation itself; only schools become schools.
    if (row.get('type') !== 'school') {
      snapshot.otherOrganisations.add(row.id('sourcedId'));
      return;
    }
    snapshot.schools.push({
      externalId: row.id('sourcedId'),
      name: row.required('name'),
      schoolUnitCode: row.get('identifier') || null,
      source: row.source,
      deleted: row.deleted,
    });
  });

  const hasRolesFile = present('roles.csv');
  await read('users.csv', (row) => {
    const externalId = row.id('sourcedId');
    snapshot.persons.push({
      externalId,
      givenName: row.required('givenName'),
      familyName: row.required('familyName'),
      email: row.get('email') || null,
      source: row.source,
      deleted: row.deleted,
    });
    // A disabled account keeps its person but belongs to no school: a full snapshot ends its memberships.
    const enabled = row.get('enabledUser').toLowerCase() !== 'false';
    if (hasRolesFile || !enabled) return;
    if (!row.has('role') || !row.has('orgSourcedIds')) {
      row.error('role', 'MISSING_COLUMN', 'Without roles.csv, users.csv needs the columns role and orgSourcedIds (OneRoster 1.1).');
      return;
    }
    const role = schoolRole(row, 'role');
    if (!role) return;
    for (const schoolExternalId of row.list('orgSourcedIds')) {
      snapshot.schoolMemberships.push({
        personExternalId: externalId,
        schoolExternalId,
        role,
        startDate: null,
        endDate: null,
        source: row.source,
        deleted: row.deleted,
        fields: USER_FIELDS,
      });
    }
  });

  if (hasRolesFile) {
    await read('roles.csv', (row) => {
      const role = schoolRole(row, 'role');
      if (!role) return;
      snapshot.schoolMemberships.push({
        personExternalId: row.id('userSourcedId'),
        schoolExternalId: row.id('orgSourcedId'),
        role,
        startDate: row.date('beginDate'),
        endDate: row.date('endDate'),
        source: row.source,
        deleted: row.deleted,
        fields: ROLE_FIELDS,
      });
    });
  }

  const terms = new Map<string, { startDate: Date | null; endDate: Date | null }>();
  if (present('academicSessions.csv')) {
    await read('academicSessions.csv', (row) => {
      terms.set(row.id('sourcedId'), { startDate: row.date('startDate'), endDate: row.date('endDate') });
    });
  }

  if (present('classes.csv')) {
    await read('classes.csv', (row) => {
      // A class runs from its first term's start to its last term's end: last year's classes are
      // the ones a new year's snapshot no longer has.
      const classTerms = row.list('termSourcedIds').map((id) => {
        const term = terms.get(id);
        if (!term && present('academicSessions.csv')) row.error('termSourcedIds', 'UNKNOWN_REFERENCE', `No academic session ${id} in academicSessions.csv.`);
        return term;
      });
      const starts = classTerms.map((term) => term?.startDate?.getTime()).filter((time) => time !== undefined);
      const ends = classTerms.map((term) => term?.endDate?.getTime()).filter((time) => time !== undefined);
      const classType = row.get('classType');
      snapshot.groups.push({
        externalId: row.id('sourcedId'),
        schoolExternalId: row.id('schoolSourcedId'),
        name: row.required('title'),
        // A homeroom is the students' class; a scheduled class is a teaching group.
        kind: classType === 'homeroom' ? 'CLASS' : classType === 'scheduled' || !classType ? 'TEACHING_GROUP' : 'OTHER',
        grade: singleGrade(row.list('grades')),
        startDate: starts.length ? new Date(Math.min(...starts)) : null,
        endDate: ends.length ? new Date(Math.max(...ends)) : null,
        source: row.source,
        deleted: row.deleted,
      });
    });
  }

  if (present('enrollments.csv')) {
    await read('enrollments.csv', (row) => {
      const value = row.get('role');
      const role = CLASS_ROLES[value];
      if (!role) {
        row.error('role', 'INVALID_VALUE', `Unknown enrollment role "${value}" (student, teacher, aide, proctor or administrator).`);
        return;
      }
      snapshot.groupMemberships.push({
        groupExternalId: row.id('classSourcedId'),
        personExternalId: row.id('userSourcedId'),
        role,
        startDate: row.date('beginDate'),
        endDate: row.date('endDate'),
        source: row.source,
        deleted: row.deleted,
      });
    });
  }
  return snapshot;
}

/** The grade of a class whose students are all in one numbered grade ("07" is årskurs 7). */
function singleGrade(grades: string[]): number | null {
  const numbers = new Set(grades.map((grade) => (/^\d{1,2}$/.test(grade) ? Number(grade) : NaN)));
  const [only] = numbers;
  return numbers.size === 1 && only !== undefined && !Number.isNaN(only) ? only : null;
}

function schoolRole(row: Row, column: string): RosterRole | null {
  const value = row.get(column);
  if (!(value in SCHOOL_ROLES)) {
    row.error(column, 'INVALID_VALUE', `Unknown role "${value}".`);
    return null;
  }
  return SCHOOL_ROLES[value] ?? null;
}

/** One data row, read by column name, collecting its own errors. */
class Row {
  private readonly columns: ReadonlyMap<string, number>;
  private readonly values: string[];
  readonly source: { file: string; line: number };
  private readonly errors: RecordError[];
  private readonly interner: Interner;

  constructor(columns: ReadonlyMap<string, number>, values: string[], source: { file: string; line: number }, errors: RecordError[], interner: Interner) {
    this.columns = columns;
    this.values = values;
    this.source = source;
    this.errors = errors;
    this.interner = interner;
  }

  has(column: string): boolean {
    return this.columns.has(column);
  }

  get(column: string): string {
    const index = this.columns.get(column);
    return index === undefined ? '' : (this.values[index] ?? '').trim();
  }

  /** OneRoster's `tobedeleted` status: a delta removes the record. */
  get deleted(): boolean {
    return this.get('status') === 'tobedeleted';
  }

  required(column: string): string {
    const value = this.get(column);
    if (!value) this.error(column, 'INVALID_VALUE', `${column} is empty.`);
    return value;
  }

  id(column: string): string {
    return this.interner.string(this.required(column));
  }

  /** A list field: comma-separated values inside one quoted CSV field. */
  list(column: string): string[] {
    return this.get(column)
      .split(',')
      .map((value) => value.trim())
      .filter(Boolean);
  }

  date(column: string): Date | null {
    const value = this.get(column);
    if (!value) return null;
    const date = this.interner.date(value);
    if (!date) this.error(column, 'INVALID_VALUE', `"${value}" is not a date (YYYY-MM-DD).`);
    return date ?? null;
  }

  error(field: string, code: RecordError['code'], message: string): void {
    this.errors.push({ code, ...this.source, field, message });
  }
}

/** Streams one CSV file: checks its header, then hands each row to onRow. */
async function readCsv(
  file: RosterFile,
  name: FileName,
  maxBytes: number,
  errors: RecordError[],
  interner: Interner,
  onRow: (row: Row) => void,
): Promise<void> {
  const parser = parse({ info: true, skip_empty_lines: true, relax_column_count: true });
  pipeline(Readable.from(readText(file, maxBytes)), parser, () => {});
  let columns: Map<string, number> | undefined;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      if (!columns) {
        columns = new Map(record.map((column, index) => [column.trim(), index]));
        const missing = REQUIRED_COLUMNS[name].filter((column) => !columns!.has(column));
        for (const column of missing) {
          errors.push({ code: 'MISSING_COLUMN', file: name, line: 1, field: column, message: `${name} has no column ${column}.` });
        }
        if (missing.length) {
          parser.destroy();
          return;
        }
        continue;
      }
      if (record.length !== columns.size) {
        errors.push({
          code: 'INVALID_VALUE',
          file: name,
          line: info.lines,
          field: null,
          message: `The row has ${record.length} fields; the header has ${columns.size}.`,
        });
        continue;
      }
      onRow(new Row(columns, record, { file: name, line: info.lines }, errors, interner));
    }
  } catch (error) {
    if (error instanceof RosterFileError) errors.push(error.error);
    else if (error instanceof CsvError)
      errors.push({ code: 'UNREADABLE', file: name, line: (error as { lines?: number }).lines, field: null, message: `Not valid CSV: ${error.message}` });
    else throw error;
  }
}
