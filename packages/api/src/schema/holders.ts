// Who holds a license, as its reader may see them: the holders of every license in a response
// come from one statement, and a page of licenses reads its holders in its own statement
// (license-pages.ts, primed here by school-product.ts), so the holder field answers without a
// promise per license.
import type { Prisma } from '@school-licenses/db';
import { visibleUsers } from '../domain/actor.ts';
import { requestLoader } from './batch.ts';
import type { Context } from './context.ts';
import { actorOf } from './run.ts';

export type Holder = Prisma.UserGetPayload<object>;

/** Users by id, null for those the actor may not see (seeing a license is not seeing its holder). */
export function holderLoader(ctx: Context) {
  return requestLoader<string, Holder | null>(ctx, 'holders', String, async (ids) => {
    const users = await ctx.prisma.user.findMany({ where: { AND: [{ id: { in: ids } }, visibleUsers(actorOf(ctx))] } });
    const found = new Map<string, Holder | null>(users.map((user) => [user.id, user]));
    for (const id of ids) if (!found.has(id)) found.set(id, null);
    return found;
  });
}

/** The holder of a license: at once when already loaded, else batched with the others. */
export function holderOf(ctx: Context, userId: string): Holder | null | Promise<Holder | null> {
  const loader = holderLoader(ctx);
  const known = loader.peek(userId);
  return known !== undefined ? known : loader.load(userId);
}
