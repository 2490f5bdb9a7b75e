// importRoster: an integration or an organisation administrator sends a roster's files.
import { LicenseError } from '../domain/errors.ts';
import type { ChangeCounts, DiffSummary } from '../roster/diff.ts';
import { importRoster, LISTED_CHANGES, type ListedChange, type RosterImportReport } from '../roster/import.ts';
import type { RecordError } from '../roster/snapshot.ts';
import { builder } from './builder.ts';
import { licenseErrors } from './errors.ts';
import { OrganisationRef } from './organisation.ts';
import { actorOf } from './run.ts';

const RosterFormatEnum = builder.enumType('RosterImportFormat', {
  description: 'The format of a roster import.',
  values: {
    ONEROSTER_CSV: {
      value: 'oneroster-csv',
      description: 'OneRoster 1.2 (or 1.1) CSV: manifest.csv, orgs.csv, users.csv, roles.csv, academicSessions.csv, classes.csv, enrollments.csv.',
    },
    SS12000: {
      value: 'ss12000',
      description: 'SS 12000 JSON: organisations, persons, groups, duties, placements (pages of the API, or one object with those arrays).',
    },
  } as const,
});

const SyncModeEnum = builder.enumType('RosterImportMode', {
  description: 'A full snapshot ends what it does not mention; a delta changes only what it names.',
  values: { FULL: { description: 'A full snapshot.' }, DELTA: { description: 'Changes only.' } } as const,
});

const RosterEntityEnum = builder.enumType('RosterImportEntity', {
  description: 'A kind of roster record.',
  values: {
    SCHOOL: { value: 'school' },
    USER: { value: 'user' },
    SCHOOL_MEMBERSHIP: { value: 'schoolMembership' },
    GROUP: { value: 'group' },
    GROUP_MEMBERSHIP: { value: 'groupMembership' },
  } as const,
});

const RosterChangeKindEnum = builder.enumType('RosterImportChangeKind', {
  description: 'What an import does to a record.',
  values: { CREATE: { value: 'create' }, UPDATE: { value: 'update' }, END: { value: 'end' } } as const,
});

const RosterErrorCodeEnum = builder.enumType('RosterImportErrorCode', {
  description: 'Why a file or a record of an import was refused.',
  values: {
    MISSING_FILE: { description: 'A file the format needs, or the manifest lists, is not there.' },
    MISSING_COLUMN: { description: 'A CSV file lacks a column the format requires.' },
    UNKNOWN_REFERENCE: { description: 'A record refers to a record that is neither in the files nor (for a delta) in the roster.' },
    DUPLICATE_ID: { description: 'Two records share an id, or two people an e-mail address.' },
    NOT_UTF8: { description: 'The file is not UTF-8 text (a byte order mark is fine).' },
    FILE_TOO_LARGE: { description: 'The file is over the size limit.' },
    INVALID_VALUE: { description: 'A value is missing or not valid.' },
    UNREADABLE: { description: 'The file is not valid CSV or JSON.' },
  } as const,
});

const RosterImportErrorRef = builder.objectRef<RecordError>('RosterImportError').implement({
  description: 'A problem in the files, where it is. Any one of them means nothing was written.',
  fields: (t) => ({
    code: t.field({ type: RosterErrorCodeEnum, description: 'What is wrong, machine-readable.', resolve: (e) => e.code }),
    message: t.exposeString('message', { description: 'What is wrong, for people.' }),
    file: t.exposeString('file', { description: 'The file, by name.' }),
    line: t.exposeInt('line', { nullable: true, description: 'The line of a CSV file (the header is line 1).' }),
    pointer: t.exposeString('pointer', { nullable: true, description: 'The JSON pointer (RFC 6901) into a JSON file.' }),
    field: t.exposeString('field', { nullable: true, description: 'The column or JSON field, as the file names it.' }),
  }),
});

const RosterChangeRef = builder.objectRef<ListedChange>('RosterImportChange').implement({
  description: 'One change of an import.',
  fields: (t) => ({
    entity: t.field({ type: RosterEntityEnum, description: 'The kind of record.', resolve: (c) => c.entity }),
    kind: t.field({ type: RosterChangeKindEnum, description: 'Created, updated or ended.', resolve: (c) => c.kind }),
    key: t.exposeString('key', { description: 'The record in the files\' words: its id, or "person @ school" / "person @ group" for a membership.' }),
    file: t.string({
      nullable: true,
      description: 'Where the files say so; null for a record ended because the files do not mention it.',
      resolve: (c) => c.source?.file ?? null,
    }),
    line: t.int({ nullable: true, description: 'The CSV line.', resolve: (c) => c.source?.line ?? null }),
    pointer: t.string({ nullable: true, description: 'The JSON pointer.', resolve: (c) => c.source?.pointer ?? null }),
  }),
});

const ChangeCountsRef = builder.objectRef<ChangeCounts>('RosterImportChangeCounts').implement({
  description: 'How many records of one kind an import creates, updates and ends.',
  fields: (t) => ({
    created: t.exposeInt('created', { description: 'New records, and ended ones started again are counted as updated.' }),
    updated: t.exposeInt('updated', { description: 'Changed records (names, roles, e-mail), including ones started again.' }),
    ended: t.exposeInt('ended', { description: "Records ended: leavers, last year's groups." }),
  }),
});

const SummaryRef = builder.objectRef<DiffSummary>('RosterImportSummary').implement({
  description: 'The changes of an import, counted by kind of record.',
  fields: (t) => ({
    schools: t.field({ type: ChangeCountsRef, description: 'Schools.', resolve: (s) => s.school }),
    users: t.field({ type: ChangeCountsRef, description: 'Users.', resolve: (s) => s.user }),
    schoolMemberships: t.field({ type: ChangeCountsRef, description: 'Memberships of schools.', resolve: (s) => s.schoolMembership }),
    groups: t.field({ type: ChangeCountsRef, description: 'Classes and teaching groups.', resolve: (s) => s.group }),
    groupMemberships: t.field({ type: ChangeCountsRef, description: 'Memberships of groups.', resolve: (s) => s.groupMembership }),
  }),
});

const ImportRosterPayload = builder.objectRef<RosterImportReport>('ImportRosterPayload').implement({
  description: 'What an import changed, or (a dry run) would change; or why its files were refused.',
  fields: (t) => ({
    importId: t.exposeString('importId', {
      nullable: true,
      description: 'The import run, for a real run that applied its changes; null for a dry run or refused files.',
    }),
    dryRun: t.exposeBoolean('dryRun', { description: 'Whether this was a dry run: nothing was written.' }),
    refused: t.exposeBoolean('refused', { description: 'The files have errors (see `recordErrors`): nothing was written.' }),
    resumed: t.exposeBoolean('resumed', { description: 'This run continued an interrupted run of the same files.' }),
    mode: t.field({ type: SyncModeEnum, nullable: true, description: 'Full snapshot or delta, as the files say.', resolve: (r) => r.mode }),
    summary: t.field({
      type: SummaryRef,
      description: 'The changes by kind of record (a resumed run counts the interrupted part too).',
      resolve: (r) => r.summary,
    }),
    revokedLicenses: t.exposeInt('revokedLicenses', {
      description:
        'Licenses taken back from people who left a school (LEFT_SCHOOL) or a group whose standing rule gave them (LEFT_GROUP); a dry run: that would be. Started ones stay reusable.',
    }),
    licensesGivenByRules: t.exposeInt('licensesGivenByRules', {
      description: "Licenses groups' standing rules gave: to new members, or to the waiting list with licenses freed (a dry run: would give).",
    }),
    membersQueued: t.exposeInt('membersQueued', {
      description:
        "Members groups' standing rules put on a waiting list who still wait at the end (a dry run: would). A resumed run counts this run's part of these two.",
    }),
    changes: t.field({
      type: [RosterChangeRef],
      description: `The changes one by one, in the order applied (the first ${LISTED_CHANGES}).`,
      resolve: (r) => r.changes,
    }),
    recordErrors: t.field({
      type: [RosterImportErrorRef],
      description: 'The problems in the files, each with its file, line or pointer, and field.',
      resolve: (r) => r.errors,
    }),
  }),
});

const ImportRosterInput = builder.inputType('ImportRosterInput', {
  description:
    "An organisation's roster, as files of a multipart request (the GraphQL multipart request spec, which graphql-yoga reads and urql sends " +
    'when a variable holds a File): the exports of student information systems are files, often large, and a multipart upload streams ' +
    'them as they are instead of making every integration re-encode them as JSON. An SS 12000 integration holding small JSON may send ' +
    '`ss12000Document` instead, within the normal request size.',
  fields: (t) => ({
    organisation: t.globalID({ for: OrganisationRef, required: true, description: 'The organisation to import into.' }),
    format: t.field({ type: RosterFormatEnum, required: true, description: "The files' format." }),
    files: t.field({
      type: ['File'],
      required: false,
      description: 'The files (OneRoster: manifest.csv, orgs.csv, …; SS 12000: organisations.json, persons.json, …).',
    }),
    ss12000Document: t.field({
      type: 'JSON',
      required: false,
      description: 'SS 12000 only, instead of files: one object with organisations, persons, groups, duties and placements arrays.',
    }),
    ss12000Mode: t.field({ type: SyncModeEnum, required: false, description: "SS 12000 only (OneRoster's manifest says it): FULL (default) or DELTA." }),
    dryRun: t.boolean({ required: false, description: 'Return the diff and write nothing (default false).' }),
  }),
});

builder.mutationField('importRoster', (t) =>
  t.field({
    type: ImportRosterPayload,
    description:
      "Imports an organisation's roster: schools, people, classes and memberships (organisation administrators and ORGANISATION_READ_WRITE keys of it). " +
      'Idempotent: the same files again change nothing, and continue an interrupted run. A full snapshot ends the memberships of people it ' +
      'no longer has, which revokes their licenses (LEFT_SCHOOL). Files with errors are refused with a report and write nothing.',
    authScopes: { authenticated: true },
    errors: { types: licenseErrors },
    args: { input: t.arg({ type: ImportRosterInput, required: true, description: 'What to import.' }) },
    resolve: (_root, { input }, ctx) => {
      const files = input.files ?? [];
      if (input.ss12000Document !== undefined && input.ss12000Document !== null) {
        if (input.format !== 'ss12000' || files.length) {
          throw new LicenseError('INVALID_INPUT', 'ss12000Document', 'Send ss12000Document with format SS12000 and no files.');
        }
        files.push(new File([JSON.stringify(input.ss12000Document)], 'ss12000Document.json'));
      }
      if (!files.length) throw new LicenseError('INVALID_INPUT', 'files', 'Send the files of the roster.');
      if (input.ss12000Mode && input.format !== 'ss12000')
        throw new LicenseError('INVALID_INPUT', 'ss12000Mode', "OneRoster's manifest says whether the files are a delta.");
      // Not one transaction: the import applies its changes in batches, each its own (see roster/import.ts).
      return importRoster(
        ctx.prisma,
        ctx.clock,
        actorOf(ctx),
        { organisationId: input.organisation.id, format: input.format, files, dryRun: input.dryRun ?? false, ss12000Mode: input.ss12000Mode ?? undefined },
        { maxFileBytes: ctx.maxImportFileBytes },
      );
    },
  }),
);
