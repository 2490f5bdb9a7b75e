import type { Clock } from '../clock.ts';
import type { Actor, Tx } from './actor.ts';
import { LicenseError } from './errors.ts';

/** Marks the given notifications of the viewer as read, or all of them when none are given. */
export async function markNotificationsRead(tx: Tx, clock: Clock, actor: Actor, input: { notificationIds?: string[] | null }): Promise<number> {
  if (actor.kind !== 'user') throw new LicenseError('FORBIDDEN', null, 'Only users have notifications.');
  const { count } = await tx.notification.updateMany({
    where: {
      userId: actor.userId,
      readAt: null,
      ...(input.notificationIds ? { id: { in: input.notificationIds } } : {}),
    },
    data: { readAt: clock.now() },
  });
  return count;
}
