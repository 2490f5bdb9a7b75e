import { GraduateLicensePolicy } from '@school-licenses/db';
import { visibleOrganisations, visibleSchools } from '../domain/actor.ts';
import { updateOrganisation } from '../domain/organisation.ts';
import type { RosterChange } from '../domain/roster.ts';
import { builder } from './builder.ts';
import { RosterChangeEnum } from './enums.ts';
import { licenseErrors } from './errors.ts';
import { actorOf, runDomain } from './run.ts';

const GraduateLicensePolicyEnum = builder.enumType(GraduateLicensePolicy, {
  name: 'GraduateLicensePolicy',
  description:
    "What a roster import does to a graduate's licenses (a student of a class of the school's final school year whose membership the import ends): " +
    "REVOKE_TO_POOL returns them to the school like any leaver's (LEFT_SCHOOL); KEEP_UNTIL_END_DATE leaves them with the graduate until each license's end date, when it expires.",
});

export const OrganisationRef = builder.prismaNode('Organisation', {
  description: 'A municipality or school group. It owns schools; its administrators manage every one of them.',
  id: { field: 'id' },
  nullable: true,
  findUnique: (id, ctx) => ({ id, AND: [visibleOrganisations(actorOf(ctx))] }),
  authScopes: { authenticated: true },
  fields: (t) => ({
    name: t.exposeString('name', { description: "The organisation's name." }),
    timeZone: t.exposeString('timeZone', {
      description:
        'The IANA time zone (e.g. Europe/Stockholm) its days are counted in: end dates and auto-start days are its calendar days, and a license expires at 00:00 there after its end date.',
    }),
    graduateLicensePolicy: t.expose('graduateLicensePolicy', {
      type: GraduateLicensePolicyEnum,
      description: "What a roster import does to graduates' licenses (set by the organisation's administrators with updateOrganisation).",
    }),
    schools: t.relatedConnection('schools', {
      cursor: 'id',
      description: 'The schools of the organisation you can see.',
      query: (_args, ctx) => ({ where: visibleSchools(actorOf(ctx)), orderBy: { name: 'asc' } }),
      totalCount: true,
    }),
  }),
});

builder.queryField('organisations', (t) =>
  t.prismaConnection({
    type: 'Organisation',
    cursor: 'id',
    description: 'The organisations you belong to (one, for users and integrations).',
    resolve: (query, _root, _args, ctx) => ctx.prisma.organisation.findMany({ ...query, where: visibleOrganisations(actorOf(ctx)), orderBy: { name: 'asc' } }),
  }),
);

const OrganisationPayload = builder.objectRef<{ organisationId: string; change: RosterChange }>('OrganisationPayload').implement({
  description: 'The organisation after the change.',
  fields: (t) => ({
    organisation: t.prismaField({
      type: 'Organisation',
      description: 'The organisation.',
      resolve: (query, { organisationId }, _args, ctx) => ctx.prisma.organisation.findUniqueOrThrow({ ...query, where: { id: organisationId } }),
    }),
    change: t.field({ type: RosterChangeEnum, description: 'What the write did (UPDATED, or UNCHANGED when it was already so).', resolve: (p) => p.change }),
  }),
});

const UpdateOrganisationInput = builder.inputType('UpdateOrganisationInput', {
  description: "Change an organisation's settings. Fields left out stay.",
  fields: (t) => ({
    organisation: t.globalID({ for: OrganisationRef, required: true, description: 'The organisation.' }),
    graduateLicensePolicy: t.field({ type: GraduateLicensePolicyEnum, required: false, description: "What a roster import does to graduates' licenses." }),
  }),
});

builder.mutationField('updateOrganisation', (t) =>
  t.field({
    type: OrganisationPayload,
    description: "Changes the organisation's settings (its administrators and read-write integrations; another organisation's: NOT_FOUND).",
    authScopes: { authenticated: true },
    errors: { types: licenseErrors },
    args: { input: t.arg({ type: UpdateOrganisationInput, required: true, description: 'What to change.' }) },
    resolve: (_root, { input }, ctx) =>
      runDomain(ctx, async (tx, clock, actor) => {
        const { record, change } = await updateOrganisation(tx, clock.now(), actor, {
          organisationId: input.organisation.id,
          graduateLicensePolicy: input.graduateLicensePolicy ?? undefined,
        });
        return { organisationId: record.id, change };
      }),
  }),
);
