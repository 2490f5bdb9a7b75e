// Small named scenarios for reliability tests, written through the domain functions the API uses
// (placeOrder, createActivationLink), so their data is data the API itself could have made.
import { randomUUID } from 'node:crypto';
import type { PrismaClient } from '@school-licenses/db';
import { apiKeyActor, createApiKey, signUserToken, userActor, type AuthConfig } from '../auth/authenticate.ts';
import type { Clock } from '../clock.ts';
import type { Tx } from '../domain/actor.ts';
import { assignLicense } from '../domain/assignments.ts';
import { createActivationLink, placeOrder } from '../domain/orders.ts';
import { inTransaction } from '../domain/transaction.ts';
import { gid } from './ids.ts';

export interface LicensePool {
  organisationId: string;
  schoolId: string;
  /** A DIRECT product the school holds `licenses` new licenses of. */
  productId: string;
  /** A DELAYED product (supplier key `supplierKey`) and an ACTIVATION_EMAIL one (`activationSupplierKey`). */
  delayedProductId: string;
  activationProductId: string;
  adminId: string;
  /** Students of the school, none holding a license. */
  studentIds: string[];
  supplierKey: string;
  activationSupplierKey: string;
  /** An admin of another organisation, with a school and licenses of its own. */
  otherOrganisation: { organisationId: string; schoolId: string; adminId: string };
  /** Global IDs, as the API takes them. */
  gids: { school: string; product: string; delayedProduct: string; activationProduct: string; students: string[] };
}

export interface LicensePoolOptions {
  licenses: number;
  students: number;
}

/**
 * One organisation with one school, an admin, `students` students and `licenses` new licenses of a
 * direct-delivery product; suppliers for delayed and activation-link delivery; and a second
 * organisation to prove nothing crosses over. Everything in one transaction.
 */
export async function licensePool(prisma: PrismaClient, clock: Clock, options: LicensePoolOptions): Promise<LicensePool> {
  const tag = randomUUID().slice(0, 8);
  const pool = await prisma.$transaction(
    async (tx) => {
      const now = clock.now();
      const organisation = await tx.organisation.create({ data: { name: `Pool kommun ${tag}`, createdAt: now } });
      const school = await tx.school.create({ data: { name: `Poolskolan ${tag}`, organisationId: organisation.id } });
      const admin = await tx.user.create({
        data: {
          name: 'Pool Admin',
          email: `admin.${tag}@pool.example`,
          organisationId: organisation.id,
          memberships: { create: { schoolId: school.id, role: 'SCHOOL_ADMIN' } },
        },
      });
      const students = await tx.user.createManyAndReturn({
        data: Array.from({ length: options.students }, (_, i) => ({
          name: `Elev ${i}`,
          email: `elev${i}.${tag}@pool.example`,
          organisationId: organisation.id,
        })),
        select: { id: true },
      });
      await tx.schoolMembership.createMany({ data: students.map((s) => ({ userId: s.id, schoolId: school.id, role: 'STUDENT' as const })) });

      const supplier = await tx.supplier.create({ data: { name: `Förlaget ${tag}` } });
      const appSupplier = await tx.supplier.create({ data: { name: `Appen ${tag}` } });
      const product = await tx.product.create({ data: { name: `Matte ${tag}`, supplierId: supplier.id, validityMonths: 12, deliveryMode: 'DIRECT' } });
      const delayed = await tx.product.create({ data: { name: `Engelska ${tag}`, supplierId: supplier.id, validityMonths: 12, deliveryMode: 'DELAYED' } });
      const activation = await tx.product.create({
        data: { name: `Kemi ${tag}`, supplierId: appSupplier.id, validityMonths: 12, deliveryMode: 'ACTIVATION_EMAIL' },
      });

      const other = await tx.organisation.create({ data: { name: `Annan kommun ${tag}`, createdAt: now } });
      const otherSchool = await tx.school.create({ data: { name: `Annanskolan ${tag}`, organisationId: other.id } });
      const otherAdmin = await tx.user.create({
        data: {
          name: 'Annan Admin',
          email: `admin.${tag}@annan.example`,
          organisationId: other.id,
          memberships: { create: { schoolId: otherSchool.id, role: 'SCHOOL_ADMIN' } },
        },
      });

      const actor = await userActor(tx, admin.id);
      if (options.licenses > 0) {
        await placeOrder(tx, clock, actor, { schoolId: school.id, productId: product.id, quantity: options.licenses });
      }
      await placeOrder(tx, clock, await userActor(tx, otherAdmin.id), { schoolId: otherSchool.id, productId: product.id, quantity: 3 });
      return {
        organisationId: organisation.id,
        schoolId: school.id,
        productId: product.id,
        delayedProductId: delayed.id,
        activationProductId: activation.id,
        adminId: admin.id,
        studentIds: students.map((s) => s.id),
        supplierId: supplier.id,
        appSupplierId: appSupplier.id,
        otherOrganisation: { organisationId: other.id, schoolId: otherSchool.id, adminId: otherAdmin.id },
      };
    },
    { timeout: 120_000, maxWait: 10_000 },
  );
  const supplierKey = await createApiKey(prisma, clock, { name: `Förlaget ${tag}`, kind: 'SUPPLIER', supplierId: pool.supplierId });
  const activationSupplierKey = await createApiKey(prisma, clock, { name: `Appen ${tag}`, kind: 'SUPPLIER', supplierId: pool.appSupplierId });
  return {
    ...pool,
    supplierKey: supplierKey.key,
    activationSupplierKey: activationSupplierKey.key,
    gids: {
      school: gid('School', pool.schoolId),
      product: gid('Product', pool.productId),
      delayedProduct: gid('Product', pool.delayedProductId),
      activationProduct: gid('Product', pool.activationProductId),
      students: pool.studentIds.map((id) => gid('User', id)),
    },
  };
}

/** 10 new licenses, 100 students without one: more demand than supply. */
export const poolOfTen = (prisma: PrismaClient, clock: Clock) => licensePool(prisma, clock, { licenses: 10, students: 100 });

/** No license at all, 5 students: every assignment is NO_LICENSE_AVAILABLE. */
export const exhaustedPool = (prisma: PrismaClient, clock: Clock) => licensePool(prisma, clock, { licenses: 0, students: 5 });

/** More licenses of the pool's product for its school, as its admin would order them. */
export async function orderMore(prisma: PrismaClient, clock: Clock, pool: LicensePool, quantity: number, productId = pool.productId) {
  return prisma.$transaction(async (tx) => placeOrder(tx, clock, await userActor(tx, pool.adminId), { schoolId: pool.schoolId, productId, quantity }));
}

/** A new license of the pool's product for its student number `student`, as its admin would assign it. */
export function assignNewLicense(prisma: PrismaClient, clock: Clock, pool: LicensePool, student: number) {
  return inTransaction(prisma, async (tx) =>
    assignLicense(tx, clock, await userActor(tx, pool.adminId), {
      schoolId: pool.schoolId,
      productId: pool.productId,
      userId: pool.studentIds[student]!,
      reuseStarted: false,
    }),
  );
}

/** An order of the delayed product, awaiting its supplier. */
export async function awaitingDelayedOrder(prisma: PrismaClient, clock: Clock, pool: LicensePool, quantity = 5) {
  return orderMore(prisma, clock, pool, quantity, pool.delayedProductId);
}

/** An order of the activation-link product and its (unredeemed) link's token. */
export async function activationLink(prisma: PrismaClient, clock: Clock, pool: LicensePool, quantity = 5) {
  const order = await orderMore(prisma, clock, pool, quantity, pool.activationProductId);
  const link = await prisma.$transaction(async (tx: Tx) =>
    createActivationLink(tx, clock, await apiKeyActor(tx, pool.activationSupplierKey), { orderId: order.id }),
  );
  return { order, token: link.token };
}

/** A token for a user, signed at the clock's now. */
export function tokenOf(auth: AuthConfig, clock: Clock, userId: string): Promise<string> {
  return signUserToken(auth, userId, { now: clock.now() });
}

/** An organisation API key of the organisation `schoolId` belongs to, as its administrators would issue it (createApiKey's answer). */
export async function organisationKeyOf(
  prisma: PrismaClient,
  clock: Clock,
  schoolId: string,
  name: string,
  kind: 'ORGANISATION_READ' | 'ORGANISATION_READ_WRITE',
) {
  const { organisationId } = await prisma.school.findUniqueOrThrow({ where: { id: schoolId }, select: { organisationId: true } });
  return createApiKey(prisma, clock, { name, kind, organisationId });
}
