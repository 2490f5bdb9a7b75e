import { decodeGlobalID, encodeGlobalID } from '@pothos/plugin-relay';
import type { PrismaClient } from '@school-licenses/db';

export const gid = encodeGlobalID;

/** The database ID inside a global ID. */
export const rawId = (globalId: string): string => decodeGlobalID(globalId).id;

/** The global ID of a demo user, by e-mail. */
export async function userGid(prisma: PrismaClient, email: string): Promise<string> {
  const user = await prisma.user.findFirstOrThrow({ where: { email } });
  return gid('User', user.id);
}

export async function productGid(prisma: PrismaClient, name: string): Promise<string> {
  const product = await prisma.product.findFirstOrThrow({ where: { name } });
  return gid('Product', product.id);
}
