// Reading both formats into one snapshot, and the reports of broken files.
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_FILE_BYTES } from './files.ts';
import { readCheckedRoster } from './read.ts';
import type { RosterFormat } from './snapshot.ts';
import { fixtureFiles, fixtureText } from './testing.ts';

const options = { maxFileBytes: DEFAULT_MAX_FILE_BYTES };
const read = (format: RosterFormat, files: ReturnType<typeof fixtureFiles>, maxFileBytes = DEFAULT_MAX_FILE_BYTES) =>
  readCheckedRoster(format, files, { maxFileBytes });

describe('OneRoster 1.2 CSV', () => {
  it('reads schools, people with roles, classes with their grade and dates, and enrollments', async () => {
    const snapshot = await read('oneroster-csv', fixtureFiles('oneroster'));
    expect(snapshot.errors).toEqual([]);
    expect(snapshot.mode).toBe('FULL');
    expect(snapshot.schools.map((s) => [s.externalId, s.name, s.schoolUnitCode])).toEqual([
      ['sch-norr', 'Norrskolan', '12345678'],
      ['sch-soder', 'Söderskolan', '87654321'],
    ]);
    expect(snapshot.persons).toHaveLength(7);
    expect(snapshot.persons.find((p) => p.externalId === 'usr-fia')).toMatchObject({
      givenName: 'Fia',
      familyName: 'Lärare, Söder',
      email: 'fia.larare@soder.example',
    });
    const roles = snapshot.schoolMemberships.map((m) => `${m.personExternalId}@${m.schoolExternalId}:${m.role}`);
    expect(roles).toContain('usr-gun@sch-norr:SCHOOL_ADMIN');
    expect(roles).toContain('usr-fia@sch-norr:TEACHER');
    expect(snapshot.schoolMemberships.find((m) => m.personExternalId === 'usr-dan')?.endDate).toEqual(new Date('2027-06-11'));
    expect(snapshot.groups.find((g) => g.externalId === 'cls-7a')).toMatchObject({
      name: '7A',
      kind: 'CLASS',
      grade: 7,
      schoolExternalId: 'sch-norr',
      startDate: new Date('2026-08-17'),
      endDate: new Date('2027-06-11'),
    });
    expect(snapshot.groups.find((g) => g.externalId === 'cls-ma7')?.kind).toBe('TEACHING_GROUP');
    expect(snapshot.groupMemberships).toHaveLength(9);
    expect(snapshot.groupMemberships.filter((m) => m.role === 'TEACHER').map((m) => m.personExternalId)).toEqual(['usr-anna', 'usr-anna', 'usr-fia']);
  });

  it('reads 1.1 files: role and orgSourcedIds on users.csv, no roles.csv; a byte order mark is fine', async () => {
    const users =
      '\uFEFFsourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,givenName,familyName,middleName,identifier,email\n' +
      'usr-bo,,,true,"sch-norr,sch-soder",student,bo,,Bo,Elev,,,bo.elev@norr.example\n';
    const manifest = fixtureText('oneroster', 'manifest.csv')
      .replace('oneroster.version,1.2', 'oneroster.version,1.1')
      .replace('file.roles,bulk', 'file.roles,absent');
    const snapshot = await read(
      'oneroster-csv',
      fixtureFiles('oneroster', { 'users.csv': users, 'manifest.csv': manifest, 'roles.csv': null, 'enrollments.csv': enrollmentsOf('usr-bo') }),
    );
    expect(snapshot.errors).toEqual([]);
    expect(snapshot.schoolMemberships.map((m) => `${m.schoolExternalId}:${m.role}`)).toEqual(['sch-norr:STUDENT', 'sch-soder:STUDENT']);
  });

  it('reports a missing column with its file and writes down which', async () => {
    const orgs = fixtureText('oneroster', 'orgs.csv').replace('sourcedId,status,dateLastModified,name,type', 'sourcedId,status,dateLastModified,title,type');
    const snapshot = await read('oneroster-csv', fixtureFiles('oneroster', { 'orgs.csv': orgs }));
    expect(snapshot.errors).toContainEqual(expect.objectContaining({ code: 'MISSING_COLUMN', file: 'orgs.csv', line: 1, field: 'name' }));
  });

  it('reports unknown references and duplicate ids with file, line and field', async () => {
    const enrollments = `${fixtureText('oneroster', 'enrollments.csv')}enr-10,,,cls-nope,sch-norr,usr-bo,student,false,,\n`;
    const users = `${fixtureText('oneroster', 'users.csv')}usr-bo,,,true,bo2,,Bo,Annan,,,bo.annan@norr.example,,,,,,,,,,,sch-norr,\n`;
    const snapshot = await read('oneroster-csv', fixtureFiles('oneroster', { 'enrollments.csv': enrollments, 'users.csv': users }));
    expect(snapshot.errors).toEqual([
      expect.objectContaining({ code: 'DUPLICATE_ID', file: 'users.csv', line: 9, field: 'sourcedId' }),
      expect.objectContaining({ code: 'UNKNOWN_REFERENCE', file: 'enrollments.csv', line: 11, field: 'classSourcedId' }),
    ]);
  });

  it('refuses a file that is not UTF-8, naming the line', async () => {
    const latin1 = Buffer.from(fixtureText('oneroster', 'orgs.csv'), 'latin1');
    const snapshot = await read('oneroster-csv', fixtureFiles('oneroster', { 'orgs.csv': latin1 }));
    expect(snapshot.errors).toEqual([expect.objectContaining({ code: 'NOT_UTF8', file: 'orgs.csv', line: 4 })]);
  });

  it('refuses a file over the size limit before reading it', async () => {
    const snapshot = await read('oneroster-csv', fixtureFiles('oneroster'), 600);
    expect(snapshot.errors).toContainEqual(expect.objectContaining({ code: 'FILE_TOO_LARGE', file: 'users.csv' }));
  });

  it('needs a manifest, and the files it lists', async () => {
    expect((await read('oneroster-csv', fixtureFiles('oneroster', { 'manifest.csv': null }))).errors).toEqual([
      expect.objectContaining({ code: 'MISSING_FILE', file: 'manifest.csv' }),
    ]);
    expect((await read('oneroster-csv', fixtureFiles('oneroster', { 'classes.csv': null }))).errors).toEqual([
      expect.objectContaining({ code: 'MISSING_FILE', file: 'classes.csv' }),
    ]);
  });

  it('reads a delta: records with status tobedeleted are marked deleted', async () => {
    const manifest = fixtureText('oneroster', 'manifest.csv').replaceAll(',bulk', ',delta');
    const enrollments =
      'sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,primary,beginDate,endDate\n' +
      'enr-4,tobedeleted,2026-10-01T10:00:00Z,cls-9a,sch-norr,usr-dan,student,false,,\n';
    const snapshot = await readCheckedRoster('oneroster-csv', fixtureFiles('oneroster', { 'manifest.csv': manifest, 'enrollments.csv': enrollments }), options);
    expect(snapshot.mode).toBe('DELTA');
    expect(snapshot.groupMemberships).toEqual([expect.objectContaining({ groupExternalId: 'cls-9a', personExternalId: 'usr-dan', deleted: true })]);
  });
});

describe('SS 12000 JSON', () => {
  it('reads school units, persons with their school e-mail, enrolments, duties and groups with members', async () => {
    const snapshot = await read('ss12000', fixtureFiles('ss12000'));
    expect(snapshot.errors).toEqual([]);
    expect(snapshot.schools).toEqual([expect.objectContaining({ name: 'Norrskolan', schoolUnitCode: '12345678' })]);
    expect(snapshot.persons.map((p) => p.email)).toEqual(['anna.larare@norr.example', 'bo.elev@norr.example', 'cia.elev@norr.example']);
    expect(snapshot.schoolMemberships.map((m) => m.role).sort()).toEqual(['STUDENT', 'STUDENT', 'TEACHER']);
    expect(snapshot.groups.map((g) => [g.name, g.kind])).toEqual([
      ['7A', 'CLASS'],
      ['Matematik 7A', 'TEACHING_GROUP'],
    ]);
    // Anna has a duty at the school, so in a group she teaches it.
    expect(snapshot.groupMemberships.filter((m) => m.groupExternalId.endsWith('71')).map((m) => m.role)).toEqual(['TEACHER', 'STUDENT']);
  });

  it('reads one object with every resource the same as a directory of pages', async () => {
    const page = (name: string) => (JSON.parse(fixtureText('ss12000', name)) as { data: unknown[] }).data;
    const combined = JSON.stringify({
      organisations: page('organisations.json'),
      persons: page('persons.json'),
      groups: page('groups.json'),
      duties: page('duties.json'),
    });
    const one = await read('ss12000', [new File([combined], 'roster.json')]);
    const pages = await read('ss12000', fixtureFiles('ss12000'));
    expect(one.errors).toEqual([]);
    expect(strip(one)).toEqual(strip(pages));
  });

  it('reports unknown references and missing fields with a JSON pointer', async () => {
    const groups = JSON.parse(fixtureText('ss12000', 'groups.json'));
    groups.data[1].groupMemberships[1].person.id = 'c0a80000-0000-4000-8000-0000000000ff';
    delete groups.data[0].displayName;
    const snapshot = await read('ss12000', fixtureFiles('ss12000', { 'groups.json': JSON.stringify(groups) }));
    expect(snapshot.errors).toEqual([
      expect.objectContaining({ code: 'INVALID_VALUE', file: 'groups.json', pointer: '/data/0/displayName', field: 'displayName' }),
      expect.objectContaining({ code: 'UNKNOWN_REFERENCE', file: 'groups.json', pointer: '/data/1/groupMemberships/1/person', field: 'person' }),
    ]);
  });

  it('reports broken JSON and duplicate ids', async () => {
    const persons = JSON.parse(fixtureText('ss12000', 'persons.json'));
    persons.data.push({ ...persons.data[0], emails: [{ value: 'annan@norr.example' }] });
    const duplicate = await read('ss12000', fixtureFiles('ss12000', { 'persons.json': JSON.stringify(persons) }));
    expect(duplicate.errors).toEqual([expect.objectContaining({ code: 'DUPLICATE_ID', file: 'persons.json', pointer: '/data/3/id', field: 'id' })]);
    const broken = await read('ss12000', fixtureFiles('ss12000', { 'duties.json': '{ "data": [ ' }));
    expect(broken.errors).toEqual([expect.objectContaining({ code: 'UNREADABLE', file: 'duties.json' })]);
  });
});

function enrollmentsOf(user: string): string {
  return `sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,primary,beginDate,endDate\nenr-1,,,cls-7a,sch-norr,${user},student,false,,\n`;
}

/** A snapshot without where its records came from. */
function strip(snapshot: object): unknown {
  return JSON.parse(JSON.stringify(snapshot, (key, value) => (key === 'source' ? undefined : value)));
}
