// A school's product list ("Manage licenses") is read on the driver when its selection needs no
// more than the products' columns and their supplier's name: it must find what Prisma finds.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStandardScenario, type TestApi } from '../testing/harness.ts';
import { readProductsOfSchool } from './school-products.ts';

describe(`a school's product list on ${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'}`, () => {
  let test: TestApi;
  beforeAll(async () => {
    ({ test } = await startStandardScenario());
  });
  afterAll(() => test.close());

  it('reads the products Prisma finds by their licenses or orders, in the same order, with and without the supplier name', async () => {
    const prisma = test.db.prisma;
    let listed = 0;
    for (const school of await prisma.school.findMany()) {
      const where = { OR: [{ licenses: { some: { schoolId: school.id } } }, { orders: { some: { schoolId: school.id } } }] };
      const orderBy = [{ name: 'asc' as const }, { id: 'asc' as const }];
      const expected = await prisma.product.findMany({ where, orderBy, include: { supplier: { select: { name: true } } } });
      // On the driver (as a query reads it) and through Prisma's raw statements (in a transaction).
      for (const reads of [test.db.sql, prisma]) {
        expect(await readProductsOfSchool(reads, school.id, true)).toEqual(expected);
        expect(await readProductsOfSchool(reads, school.id, false)).toEqual(await prisma.product.findMany({ where, orderBy }));
      }
      listed += expected.length;
    }
    expect(listed).toBeGreaterThan(2);
  });
});
