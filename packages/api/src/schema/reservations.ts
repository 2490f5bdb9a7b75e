// An order's reservations (delayed and activation-link delivery): who gets its licenses when they arrive, and what delivery did.
import { visibleGroups, visibleUsers } from '../domain/actor.ts';
import { ReservationOutcome } from '@school-licenses/db';
import { builder } from './builder.ts';
import { actorOf } from './run.ts';

const ReservationOutcomeEnum = builder.enumType(ReservationOutcome, {
  name: 'ReservationOutcome',
  description: 'What delivery did with a reservation.',
});

builder.prismaObject('OrderReservation', {
  description: 'A user an order of delayed or activation-link delivery keeps a license for, applied the moment its licenses arrive.',
  fields: (t) => ({
    user: t.relation('user', { description: 'Who the license is reserved for.' }),
    fromGroup: t.boolean({
      description: "True when they were reserved as a student member of the order's reserved group at delivery.",
      resolve: (reservation) => reservation.groupId !== null,
    }),
    outcome: t.expose('outcome', {
      type: ReservationOutcomeEnum,
      nullable: true,
      description: 'Null until delivery; then ASSIGNED, or why not (no license left, no longer at the school, already holds one).',
    }),
    license: t.prismaField({
      type: 'License',
      nullable: true,
      description: 'The license they got.',
      resolve: (query, reservation, _args, ctx) =>
        reservation.licenseId ? ctx.prisma.license.findUnique({ ...query, where: { id: reservation.licenseId } }) : null,
    }),
  }),
});

builder.prismaObjectFields('Order', (t) => ({
  reservations: t.relation('reservations', {
    description: 'The users its licenses are reserved for, in line order, with what delivery did (delayed and activation-link delivery).',
    query: (_args, ctx) => ({ where: { user: visibleUsers(actorOf(ctx)) }, orderBy: { position: 'asc' } }),
  }),
  reservedForGroup: t.prismaField({
    type: 'Group',
    nullable: true,
    description: 'The group whose student members at delivery get its licenses, if any.',
    select: { reservedForGroupId: true },
    resolve: (query, order, _args, ctx) =>
      order.reservedForGroupId
        ? ctx.prisma.group.findFirst({ ...query, where: { AND: [{ id: order.reservedForGroupId }, visibleGroups(actorOf(ctx))] } })
        : null,
  }),
}));
