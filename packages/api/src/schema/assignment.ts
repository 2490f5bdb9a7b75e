import { builder } from './builder.ts';
import { expiryMoment, isExpired } from '../domain/license-state.ts';
import { withSchoolTime } from './school-time.ts';
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
    endedAt: t.field({
      type: 'DateTime',
      nullable: true,
      description:
        "When the assignment ended; null while active. One that ran out ended at its license's expiry (00:00 after the end date), whether or not the sweep has written it down.",
      select: { endedAt: true, isActive: true, schoolId: true, license: { select: { startedAt: true, autoStartOn: true, endDate: true } } },
      resolve: (assignment, _args, ctx) =>
        assignment.isActive
          ? withSchoolTime(ctx, assignment.schoolId, (time) =>
              isExpired(assignment.license, time.today) ? expiryMoment(assignment.license.endDate, time.timeZone) : null,
            )
          : assignment.endedAt,
    }),
    endReason: t.field({
      type: AssignmentEndReasonEnum,
      nullable: true,
      description: 'Why it ended; EXPIRED once its license ran out, whether or not the sweep has written it down.',
      select: { endReason: true, isActive: true, schoolId: true, license: { select: { startedAt: true, autoStartOn: true, endDate: true } } },
      resolve: (assignment, _args, ctx) =>
        assignment.isActive
          ? withSchoolTime(ctx, assignment.schoolId, (time) => (isExpired(assignment.license, time.today) ? 'EXPIRED' : null))
          : assignment.endReason,
    }),
    state: t.field({
      type: AssignmentStateEnum,
      description: 'Active, ended, or expired (at this moment, whether or not the sweep has run).',
      select: { isActive: true, endReason: true, schoolId: true, license: { select: { startedAt: true, autoStartOn: true, endDate: true } } },
      resolve: (assignment, _args, ctx) => {
        if (assignment.isActive) {
          return withSchoolTime(ctx, assignment.schoolId, (time) => (isExpired(assignment.license, time.today) ? 'EXPIRED' : 'ACTIVE'));
        }
        return assignment.endReason === 'EXPIRED' ? 'EXPIRED' : 'ENDED';
      },
    }),
  }),
});
