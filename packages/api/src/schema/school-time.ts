// The day it is for a school's licenses: in its organisation's time zone. A user or integration
// sees only its own organisation's schools, so its zone (read when it authenticated) answers at
// once; a supplier's licenses span organisations, so their zones come from one statement per request.
import { timeZoneOf } from '../domain/actor.ts';
import type { LocalTime } from '../domain/days.ts';
import { requestLoader } from './batch.ts';
import { readTime, type Context } from './context.ts';
import { actorOf } from './run.ts';

function schoolZoneLoader(ctx: Context) {
  return requestLoader<string, string>(ctx, 'schoolTimeZones', String, async (ids) => {
    const schools = await ctx.prisma.school.findMany({
      where: { id: { in: ids } },
      select: { id: true, organisation: { select: { timeZone: true } } },
    });
    return new Map(schools.map((school) => [school.id, school.organisation.timeZone]));
  });
}

/** The request's time for a school's licenses: at once for users and integrations, batched for suppliers. */
export function schoolTime(ctx: Context, schoolId: string): LocalTime | Promise<LocalTime> {
  const own = timeZoneOf(actorOf(ctx));
  if (own) return readTime(ctx, own);
  const loader = schoolZoneLoader(ctx);
  const known = loader.peek(schoolId);
  return known !== undefined ? readTime(ctx, known) : loader.load(schoolId).then((zone) => readTime(ctx, zone));
}

/** Runs `read` with the school's time: synchronously when it is known, so a page of licenses makes no promise per field. */
export function withSchoolTime<T>(ctx: Context, schoolId: string, read: (time: LocalTime) => T): T | Promise<T> {
  const time = schoolTime(ctx, schoolId);
  return time instanceof Promise ? time.then(read) : read(time);
}
