// People added by a test on top of the standard scenario, when a test needs someone fresh.
import { randomBytes } from 'node:crypto';
import type { PrismaClient, SchoolRole } from '@school-licenses/db';
import { gid } from './ids.ts';

/** A new member of a school (a student by default), returned as a global ID. */
export async function addMember(prisma: PrismaClient, schoolId: string, role: SchoolRole = 'STUDENT'): Promise<string> {
  const school = await prisma.school.findUniqueOrThrow({ where: { id: schoolId } });
  const tag = randomBytes(4).toString('hex');
  const user = await prisma.user.create({
    data: {
      name: `Ny ${role.toLowerCase()} ${tag}`,
      email: `${tag}@${role.toLowerCase()}.example`,
      organisationId: school.organisationId,
      memberships: { create: { schoolId, role } },
    },
  });
  return gid('User', user.id);
}
