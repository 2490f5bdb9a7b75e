// The checks a snapshot must pass before anything is written, the same for every format:
// duplicate ids, references to records that exist neither in the files nor (for a delta) in the
// organisation's roster, and what the model requires (an e-mail per user).
import { LicenseError } from '../domain/errors.ts';
import { groupData, schoolData, userData } from '../domain/roster.ts';
import type { RecordError, RecordSource, RosterSnapshot } from './snapshot.ts';

/** External ids the organisation's roster already has: a delta may refer to them. */
export interface KnownIds {
  schools: ReadonlySet<string>;
  persons: ReadonlySet<string>;
  groups: ReadonlySet<string>;
}

const FIELDS = {
  'oneroster-csv': {
    id: 'sourcedId',
    email: 'email',
    groupSchool: 'schoolSourcedId',
    group: 'classSourcedId',
    member: 'userSourcedId',
    // The roster's own fields, as the source names them.
    school: { name: 'name', schoolUnitCode: 'identifier', externalId: 'sourcedId' },
    user: { name: 'givenName', email: 'email', externalId: 'sourcedId' },
    groupFields: { name: 'title', schoolYear: 'grades', externalId: 'sourcedId' },
  },
  ss12000: {
    id: 'id',
    email: 'emails',
    groupSchool: 'organisation',
    group: 'id',
    member: 'person',
    school: { name: 'displayName', schoolUnitCode: 'schoolUnitCode', externalId: 'id' },
    user: { name: 'givenName', email: 'emails', externalId: 'id' },
    groupFields: { name: 'displayName', schoolYear: 'schoolYear', externalId: 'id' },
  },
} as const;

/**
 * Adds the snapshot's errors to snapshot.errors, and drops memberships of organisations that are
 * not schools (a district's own staff), which the model has no place for.
 */
export function checkSnapshot(snapshot: RosterSnapshot, known: KnownIds | null): void {
  const fields = FIELDS[snapshot.format];
  const errors = snapshot.errors;
  // One error per field of a record: a reader that already found the field empty said enough.
  const reported = new Set(errors.map((e) => `${where(e)} ${e.field}`));
  const error = (record: RecordSource, code: RecordError['code'], field: string, message: string) => {
    const found = recordError(record, code, field, message);
    const key = `${where(found)} ${field}`;
    if (reported.has(key)) return;
    reported.add(key);
    errors.push(found);
  };

  const unique = <T extends { externalId: string; source: RecordSource }>(records: T[], what: string) => {
    const seen = new Map<string, T>();
    for (const record of records) {
      if (!record.externalId) continue;
      const first = seen.get(record.externalId);
      if (first) error(record.source, 'DUPLICATE_ID', fields.id, `${what} ${record.externalId} appears twice (first at ${where(first.source)}).`);
      else seen.set(record.externalId, record);
    }
    return seen;
  };
  const schools = unique(snapshot.schools, 'School');
  const persons = unique(snapshot.persons, 'Person');
  const groups = unique(snapshot.groups, 'Group');

  // The roster's own rules for each field (roster.ts), checked before anything is written.
  const valid = (source: RecordSource, names: Record<string, string>, check: () => unknown) => {
    try {
      check();
      return true;
    } catch (thrown) {
      if (!(thrown instanceof LicenseError)) throw thrown;
      error(source, 'INVALID_VALUE', names[thrown.field ?? ''] ?? thrown.field ?? '', thrown.message);
      return false;
    }
  };
  for (const school of snapshot.schools) {
    if (!school.deleted) valid(school.source, fields.school, () => schoolData(school));
  }
  for (const group of snapshot.groups) {
    if (!group.deleted) valid(group.source, fields.groupFields, () => groupData({ ...group, schoolYear: group.grade }));
  }

  const emails = new Map<string, RecordSource>();
  for (const person of snapshot.persons) {
    if (person.deleted) continue;
    const name = `${person.givenName} ${person.familyName}`.trim();
    if (!valid(person.source, fields.user, () => userData({ name, email: person.email ?? '', externalId: person.externalId }))) continue;
    const email = person.email!.toLowerCase();
    const first = emails.get(email);
    if (first) error(person.source, 'DUPLICATE_ID', fields.email, `The e-mail address ${person.email} belongs to another person too (at ${where(first)}).`);
    else emails.set(email, person.source);
  }

  const hasSchool = (id: string) => schools.has(id) || (known?.schools.has(id) ?? false);
  const hasPerson = (id: string) => persons.has(id) || (known?.persons.has(id) ?? false);
  const hasGroup = (id: string) => groups.has(id) || (known?.groups.has(id) ?? false);

  snapshot.schoolMemberships = snapshot.schoolMemberships.filter((membership) => !snapshot.otherOrganisations.has(membership.schoolExternalId));
  for (const membership of snapshot.schoolMemberships) {
    if (membership.schoolExternalId && !hasSchool(membership.schoolExternalId)) {
      error(membership.source, 'UNKNOWN_REFERENCE', membership.fields.school, `No school ${membership.schoolExternalId}.`);
    }
    if (membership.personExternalId && !hasPerson(membership.personExternalId)) {
      error(membership.source, 'UNKNOWN_REFERENCE', membership.fields.person, `No person ${membership.personExternalId}.`);
    }
  }
  for (const group of snapshot.groups) {
    if (group.schoolExternalId && !hasSchool(group.schoolExternalId)) {
      error(group.source, 'UNKNOWN_REFERENCE', fields.groupSchool, `No school ${group.schoolExternalId}.`);
    }
  }
  for (const membership of snapshot.groupMemberships) {
    if (membership.groupExternalId && !hasGroup(membership.groupExternalId)) {
      error(membership.source, 'UNKNOWN_REFERENCE', fields.group, `No group ${membership.groupExternalId}.`);
    }
    if (membership.personExternalId && !hasPerson(membership.personExternalId)) {
      error(membership.source, 'UNKNOWN_REFERENCE', fields.member, `No person ${membership.personExternalId}.`);
    }
  }
}

/** An error in one field of a record. In JSON, the pointer names the field itself, as the readers' own errors do. */
export function recordError(record: RecordSource, code: RecordError['code'], field: string, message: string): RecordError {
  return { code, ...record, ...(record.pointer === undefined ? {} : { pointer: `${record.pointer}/${field}` }), field, message };
}

/** "users.csv:12" or "persons.json#/data/3". */
export function where(source: RecordSource): string {
  return source.line !== undefined ? `${source.file}:${source.line}` : `${source.file}#${source.pointer ?? ''}`;
}
