import { visibleOrganisations, visibleSchools } from '../domain/actor.ts';
import { builder } from './builder.ts';
import { actorOf } from './run.ts';

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
