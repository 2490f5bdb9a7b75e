// A municipality-sized OneRoster 1.2 CSV set for the roster import benchmark: by default 60
// schools, 40,020 people (600 students and 67 teachers a school), 3,000 groups (25 classes and 25
// teaching groups a school) and 150,000 group memberships (each student in a class and three
// teaching groups, two teachers a group). Deterministic: the same scale writes the same bytes.
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface RosterScale {
  schools: number;
  studentsPerSchool: number;
  teachersPerSchool: number;
  classesPerSchool: number;
  teachingGroupsPerSchool: number;
}

export const MUNICIPALITY: RosterScale = { schools: 60, studentsPerSchool: 600, teachersPerSchool: 67, classesPerSchool: 25, teachingGroupsPerSchool: 25 };

export interface RosterSetSize {
  schools: number;
  people: number;
  groups: number;
  schoolMemberships: number;
  groupMemberships: number;
}

const HEADERS = {
  orgs: 'sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId',
  users:
    'sourcedId,status,dateLastModified,enabledUser,username,userIds,givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password,userMasterIdentifier,resourceSourcedIds,preferredGivenName,preferredMiddleName,preferredFamilyName,primaryOrgSourcedId,pronouns',
  roles: 'sourcedId,status,dateLastModified,userSourcedId,roleType,role,beginDate,endDate,orgSourcedId,userProfileSourcedId',
  academicSessions: 'sourcedId,status,dateLastModified,title,type,startDate,endDate,parentSourcedId,schoolYear',
  classes:
    'sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,classType,location,schoolSourcedId,termSourcedIds,subjects,subjectCodes,periods',
  enrollments: 'sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,primary,beginDate,endDate',
};

const GIVEN = ['Alva', 'Elsa', 'Maja', 'Wilma', 'Astrid', 'Noah', 'Hugo', 'William', 'Lucas', 'Oscar', 'Åsa', 'Örjan'];
const FAMILY = ['Andersson', 'Johansson', 'Karlsson', 'Nilsson', 'Eriksson', 'Larsson', 'Olsson', 'Persson', 'Svensson', 'Gustafsson', 'Öberg', 'Åberg'];

/**
 * Writes the set's files into `dir`; returns how many records of each kind it has. `year` 1 is the
 * next school year's snapshot of the same set (the rollover): every class one year up with a new
 * id, the final year (9) graduated and gone, a new first year in its place, teaching groups
 * renewed (new ids), and one student in 20 moved to the next school (none of the graduates); of
 * the people who stay, one in 25 renamed, one in 25 with a new e-mail address, and a teacher a
 * school made its principal.
 */
export async function writeRosterSet(dir: string, scale: RosterScale = MUNICIPALITY, year: 0 | 1 = 0): Promise<RosterSetSize> {
  await mkdir(dir, { recursive: true });
  const orgs = [HEADERS.orgs, 'org-kommun,,,Benchkommun,district,,'];
  const users = [HEADERS.users];
  const roles = [HEADERS.roles];
  const classes = [HEADERS.classes];
  const enrollments = [HEADERS.enrollments];
  let enrollment = 0;
  const groupsPerSchool = scale.classesPerSchool + scale.teachingGroupsPerSchool;
  const gradeOf = (g: number) => 1 + (g % 9);
  // The next year: a class moves one year up; the final year's class is a new first year.
  const gradeIn = (g: number) => (year === 0 ? gradeOf(g) : gradeOf(g) === 9 ? 1 : gradeOf(g) + 1);
  const graduates = (i: number) => gradeOf(i % scale.classesPerSchool) === 9;
  const moves = (i: number) => year === 1 && scale.schools > 1 && i % 20 === 7 && !graduates(i);
  for (let s = 0; s < scale.schools; s++) {
    const school = `sch-${s}`;
    orgs.push(`${school},,,Skola ${s},school,${String(10_000_000 + s)},org-kommun`);
    // `home`: the school whose numbering names the person (a student who moved keeps their id).
    // The next year also changes some who stay: one in 25 takes a new family name, one in 25 a new
    // e-mail address, and a teacher a school becomes its principal (updates, not creations).
    const person = (kind: 'stu' | 'stu1' | 'tea', home: number, i: number, role: 'student' | 'teacher' | 'principal') => {
      const id = `${kind}-${home}-${i}`;
      const n = home * 1000 + i + (kind === 'stu1' ? 500 : 0);
      const renamed = year === 1 && kind !== 'stu1' && i % 25 === 3;
      const email = year === 1 && kind !== 'stu1' && i % 25 === 11 ? `${id}@ny.bench.example` : `${id}@bench.example`;
      users.push(`${id},,,true,${id},,${GIVEN[n % GIVEN.length]},${FAMILY[((n >> 2) + (renamed ? 1 : 0)) % FAMILY.length]},,,${email},,,,,,,,,,,${school},`);
      roles.push(`rol-${id},,,${id},primary,${role},2026-08-17,,${school},`);
      return id;
    };
    const group = (g: number) => (year === 0 ? `cls-${s}-${g}` : `cls-${s}-${g}-y1`);
    for (let g = 0; g < groupsPerSchool; g++) {
      const homeroom = g < scale.classesPerSchool;
      const grade = gradeIn(g);
      classes.push(
        `${group(g)},,,${homeroom ? `${grade}${String.fromCharCode(65 + Math.floor(g / 9))}` : `Ämne ${g} åk ${grade}`},${String(grade).padStart(2, '0')},crs-${homeroom ? 'klass' : g},,${homeroom ? 'homeroom' : 'scheduled'},,${school},ay-${2026 + year},,,`,
      );
    }
    const enrol = (g: number, user: string, role: string) => enrollments.push(`enr-${enrollment++},,,${group(g)},${school},${user},${role},false,,`);
    for (let i = 0; i < scale.studentsPerSchool; i++) {
      const id =
        year === 1 && graduates(i)
          ? person('stu1', s, i, 'student')
          : moves(i)
            ? person('stu', (s + scale.schools - 1) % scale.schools, i, 'student')
            : person('stu', s, i, 'student');
      enrol(i % scale.classesPerSchool, id, 'student');
      // Three different teaching groups each.
      for (const offset of [0, 8, 16]) enrol(scale.classesPerSchool + ((i + offset) % scale.teachingGroupsPerSchool), id, 'student');
    }
    const teachers = Array.from({ length: scale.teachersPerSchool }, (_, i) =>
      person('tea', s, i, year === 1 && i === scale.teachersPerSchool - 1 ? 'principal' : 'teacher'),
    );
    for (let g = 0; g < groupsPerSchool; g++) {
      enrol(g, teachers[g % teachers.length]!, 'teacher');
      enrol(g, teachers[(g + groupsPerSchool) % teachers.length]!, 'teacher');
    }
  }
  const manifest = [
    'propertyName,value',
    'manifest.version,1.0',
    'oneroster.version,1.2',
    ...['academicSessions', 'classes', 'enrollments', 'orgs', 'roles', 'users'].map((f) => `file.${f},bulk`),
    'source.systemName,bench',
  ];
  const sessions = [
    HEADERS.academicSessions,
    year === 0 ? 'ay-2026,,,Läsåret 2026/27,schoolYear,2026-08-17,2027-06-11,,2027' : 'ay-2027,,,Läsåret 2027/28,schoolYear,2027-08-16,2028-06-09,,2028',
  ];
  const files: Record<string, string[]> = { manifest, orgs, users, roles, academicSessions: sessions, classes, enrollments };
  for (const [name, lines] of Object.entries(files)) await writeFile(join(dir, `${name}.csv`), `${lines.join('\n')}\n`);
  return {
    schools: scale.schools,
    people: users.length - 1,
    groups: classes.length - 1,
    schoolMemberships: roles.length - 1,
    groupMemberships: enrollments.length - 1,
  };
}

/**
 * writeRosterSet in a process of its own: the strings it builds (hundreds of MB at a
 * municipality's size) would otherwise stay in the RSS of the process that measures the import
 * (V8 keeps the pages it has grown to; a worker thread gave back about half).
 */
export async function writeRosterSetApart(dir: string, scale: RosterScale = MUNICIPALITY, year: 0 | 1 = 0): Promise<RosterSetSize> {
  const { stdout } = await run(process.execPath, [fileURLToPath(import.meta.url), JSON.stringify({ dir, scale, year })]);
  return JSON.parse(stdout) as RosterSetSize;
}

if (import.meta.main) {
  const { dir, scale, year } = JSON.parse(process.argv[2]!) as { dir: string; scale: RosterScale; year: 0 | 1 };
  process.stdout.write(JSON.stringify(await writeRosterSet(dir, scale, year)));
}
