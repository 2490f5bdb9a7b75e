import { builder } from './builder.ts';
import { readMoment } from './context.ts';
import { AssignmentEndReasonEnum } from './enums.ts';
import { visibleAssignments } from '../domain/actor.ts';
import { actorOf } from './run.ts';

export const AssignmentStateEnum = builder.enumType('AssignmentState', {
  description: 'Whether the user holds the license now.',
  values: {
    ACTIVE: { description: 'The user holds the license and it has time left.' },
    EXPIRED: { description: 'The license ran out while the user held it.' },
    ENDED: { description: 'Revoked by an admin or removed by the teacher themself; see endReason.' },
  } as const,
});

builder.prismaNode('Assignment', {
  description: 'A license given to a user, from assignment to its end: one line of the license history.',
  id: { field: 'id' },
  nullable: true,
  findUnique: (id, ctx) => ({ id, AND: [visibleAssignments(actorOf(ctx))] }),
  authScopes: { authenticated: true },
  fields: (t) => ({
    license: t.relation('license', { description: 'The license.' }),
    user: t.relation('user', { description: 'Who holds or held it.' }),
    assignedAt: t.expose('assignedAt', { type: 'DateTime', description: 'When it was assigned.' }),
    endedAt: t.expose('endedAt', { type: 'DateTime', nullable: true, description: 'When the assignment ended; null while active.' }),
    endReason: t.expose('endReason', { type: AssignmentEndReasonEnum, nullable: true, description: 'Why it ended.' }),
    state: t.field({
      type: AssignmentStateEnum,
      description: 'Active, ended, or expired (at this moment, whether or not the sweep has run).',
      select: { isActive: true, endReason: true, license: { select: { endDate: true } } },
      resolve: (assignment, _args, ctx) => {
        if (assignment.isActive) return assignment.license.endDate > readMoment(ctx) ? 'ACTIVE' : 'EXPIRED';
        return assignment.endReason === 'EXPIRED' ? 'EXPIRED' : 'ENDED';
      },
    }),
  }),
});
