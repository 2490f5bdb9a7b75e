// SS 12000 (the Swedish standard's API, version 2) resources as JSON: organisations, persons,
// groups with their groupMemberships, duties and placements, each either a page as the API
// returns it (`{ "data": [...] }`), a plain array, or all of them in one object
// (`{ "organisations": [...], "persons": [...], ... }`).
import { readAllText, RosterFileError, type RosterFile } from './files.ts';
import { emptySnapshot, parseDate, type RecordError, type RosterGroupKind, type RosterRole, type RosterSnapshot, type SyncMode } from './snapshot.ts';

const RESOURCES = ['organisations', 'persons', 'groups', 'duties', 'placements'] as const;
type Resource = (typeof RESOURCES)[number];

/** The school units (skolenheter) of an organisation tree are its schools. */
const SCHOOL_TYPES = new Set(['Skolenhet']);

const GROUP_KINDS: Record<string, RosterGroupKind> = { Klass: 'CLASS', Undervisning: 'TEACHING_GROUP', Mentor: 'MENTOR_GROUP' };

/** Duties that lead a school unit administer it; every other duty teaches or works at it. */
const ADMIN_DUTIES = new Set(['Rektor', 'Biträdande rektor']);

interface Item {
  value: Record<string, unknown>;
  file: string;
  pointer: string;
}

export interface ReadOptions {
  maxFileBytes: number;
  mode: SyncMode;
}

export async function readSs12000(files: RosterFile[], options: ReadOptions): Promise<RosterSnapshot> {
  const snapshot = emptySnapshot('ss12000', options.mode);
  const errors = snapshot.errors;
  const items: Record<Resource, Item[]> = { organisations: [], persons: [], groups: [], duties: [], placements: [] };
  for (const file of files) {
    if (!file.name.endsWith('.json')) continue;
    let document: unknown;
    try {
      document = JSON.parse(await readAllText(file, options.maxFileBytes));
    } catch (error) {
      if (error instanceof RosterFileError) errors.push(error.error);
      else errors.push({ code: 'UNREADABLE', file: file.name, field: null, message: `Not valid JSON: ${(error as Error).message}` });
      continue;
    }
    collect(document, file.name, items, errors);
  }
  if (!errors.length && !items.organisations.length && !items.persons.length) {
    errors.push({
      code: 'MISSING_FILE',
      file: files[0]?.name ?? '',
      field: null,
      message: 'No SS 12000 organisations or persons found (files named organisations.json, persons.json, …, or one object with those arrays).',
    });
  }
  if (errors.length) return snapshot;

  for (const item of items.organisations) {
    const record = new JsonRecord(item, errors);
    if (!SCHOOL_TYPES.has(record.string('organisationType'))) {
      snapshot.otherOrganisations.add(record.id());
      continue;
    }
    snapshot.schools.push({
      externalId: record.id(),
      name: record.required('displayName'),
      schoolUnitCode: record.string('schoolUnitCode') || null,
      source: record.source,
    });
  }

  for (const item of items.persons) {
    const record = new JsonRecord(item, errors);
    const personId = record.id();
    const emails = record.array('emails');
    const email = (emails.find((e) => (e as { type?: string }).type === 'Skola elev' || (e as { type?: string }).type === 'Skola personal') ?? emails[0]) as
      | { value?: unknown }
      | undefined;
    snapshot.persons.push({
      externalId: personId,
      givenName: record.required('givenName'),
      familyName: record.required('familyName'),
      email: typeof email?.value === 'string' ? email.value.trim() : null,
      source: record.source,
    });
    // A student's enrolment at a school unit (Person.enrolments) makes them its student.
    record.array('enrolments').forEach((enrolment, index) => {
      const at = new JsonRecord({ value: enrolment as Record<string, unknown>, file: item.file, pointer: `${item.pointer}/enrolments/${index}` }, errors);
      snapshot.schoolMemberships.push({
        personExternalId: personId,
        schoolExternalId: at.reference('enroledAt'),
        role: 'STUDENT',
        startDate: at.date('startDate'),
        endDate: at.date('endDate'),
        source: at.source,
        fields: { person: 'id', school: 'enroledAt' },
      });
    });
  }

  for (const item of items.placements) {
    const record = new JsonRecord(item, errors);
    const personField = item.value.child ? 'child' : 'person';
    snapshot.schoolMemberships.push({
      personExternalId: record.reference(personField),
      schoolExternalId: record.reference('placedAt'),
      role: 'STUDENT',
      startDate: record.date('startDate'),
      endDate: record.date('endDate'),
      source: record.source,
      fields: { person: personField, school: 'placedAt' },
    });
  }

  // Who works where, so that a group member who works at the group's school teaches the group.
  const staffAt = new Set<string>();
  for (const item of items.duties) {
    const record = new JsonRecord(item, errors);
    const personExternalId = record.reference('person');
    const schoolExternalId = record.reference('dutyAt');
    staffAt.add(`${personExternalId} ${schoolExternalId}`);
    snapshot.schoolMemberships.push({
      personExternalId,
      schoolExternalId,
      role: ADMIN_DUTIES.has(record.string('dutyRole')) ? 'SCHOOL_ADMIN' : 'TEACHER',
      startDate: record.date('startDate'),
      endDate: record.date('endDate'),
      source: record.source,
      fields: { person: 'person', school: 'dutyAt' },
    });
  }

  for (const item of items.groups) {
    const record = new JsonRecord(item, errors);
    const groupId = record.id();
    const schoolExternalId = record.reference('organisation');
    snapshot.groups.push({
      externalId: groupId,
      schoolExternalId,
      name: record.required('displayName'),
      kind: GROUP_KINDS[record.string('groupType')] ?? 'OTHER',
      grade: typeof item.value.schoolYear === 'number' ? item.value.schoolYear : null,
      startDate: record.date('startDate'),
      endDate: record.date('endDate'),
      source: record.source,
    });
    record.array('groupMemberships').forEach((membership, index) => {
      const member = new JsonRecord(
        { value: membership as Record<string, unknown>, file: item.file, pointer: `${item.pointer}/groupMemberships/${index}` },
        errors,
      );
      const personExternalId = member.reference('person');
      const role: RosterRole = staffAt.has(`${personExternalId} ${schoolExternalId}`) ? 'TEACHER' : 'STUDENT';
      snapshot.groupMemberships.push({
        groupExternalId: groupId,
        personExternalId,
        role,
        startDate: member.date('startDate'),
        endDate: member.date('endDate'),
        source: member.source,
      });
    });
  }
  return snapshot;
}

/** Sorts a document's records into the five resources, whichever of the accepted shapes it has. */
function collect(document: unknown, file: string, items: Record<Resource, Item[]>, errors: RecordError[]): void {
  const add = (resource: Resource, list: unknown, pointer: string) => {
    if (!Array.isArray(list)) {
      errors.push({ code: 'INVALID_VALUE', file, pointer, field: resource, message: `${resource} must be an array.` });
      return;
    }
    list.forEach((value, index) => {
      if (typeof value === 'object' && value !== null && !Array.isArray(value))
        items[resource].push({ value: value as Record<string, unknown>, file, pointer: `${pointer}/${index}` });
      else errors.push({ code: 'INVALID_VALUE', file, pointer: `${pointer}/${index}`, field: null, message: 'A record must be a JSON object.' });
    });
  };
  // organisations.json, persons-2.json, …: the file's name says which resource its page holds.
  const named = RESOURCES.find((resource) => file.toLowerCase().startsWith(resource));
  if (named) {
    const page = document as { data?: unknown };
    if (Array.isArray(document)) add(named, document, '');
    else add(named, page?.data, '/data');
    return;
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    errors.push({
      code: 'INVALID_VALUE',
      file,
      pointer: '',
      field: null,
      message: 'Expected an object with organisations, persons, groups, duties and placements arrays.',
    });
    return;
  }
  for (const resource of RESOURCES) {
    const list = (document as Record<string, unknown>)[resource];
    if (list !== undefined) add(resource, list, `/${resource}`);
  }
}

/** One JSON record, read by field name, collecting its own errors with a pointer to the field. */
class JsonRecord {
  readonly source: { file: string; pointer: string };
  private readonly item: Item;
  private readonly errors: RecordError[];

  constructor(item: Item, errors: RecordError[]) {
    this.item = item;
    this.errors = errors;
    this.source = { file: item.file, pointer: item.pointer };
  }

  string(field: string): string {
    const value = this.item.value[field];
    return typeof value === 'string' ? value.trim() : '';
  }

  required(field: string): string {
    const value = this.string(field);
    if (!value) this.error(field, 'INVALID_VALUE', `${field} is missing or empty.`);
    return value;
  }

  id(): string {
    return this.required('id');
  }

  /** An SS 12000 reference: an object with the id of the record it points at. */
  reference(field: string): string {
    const value = this.item.value[field] as { id?: unknown } | undefined;
    if (typeof value?.id === 'string' && value.id.trim()) return value.id.trim();
    this.error(field, 'INVALID_VALUE', `${field} must be a reference with an id.`);
    return '';
  }

  array(field: string): unknown[] {
    const value = this.item.value[field];
    return Array.isArray(value) ? value : [];
  }

  date(field: string): Date | null {
    const value = this.item.value[field];
    if (value === undefined || value === null || value === '') return null;
    const date = typeof value === 'string' ? parseDate(value) : undefined;
    if (!date) this.error(field, 'INVALID_VALUE', `${JSON.stringify(value)} is not a date (YYYY-MM-DD).`);
    return date ?? null;
  }

  error(field: string, code: RecordError['code'], message: string): void {
    this.errors.push({ code, file: this.item.file, pointer: `${this.item.pointer}/${field}`, field, message });
  }
}
