// A transaction the database rolled back as a deadlock victim is run again, whether the statement
// that lost was one of Prisma's queries or a raw one (assigning and revoking write through raw
// statements). PostgreSQL only: PGlite has one connection and no deadlocks.
import { describe, expect, it } from 'vitest';
import { startTestApi } from '../testing/harness.ts';
import { inTransaction, isRetryable } from './transaction.ts';

describe.runIf(process.env.DATABASE_URL)('inTransaction on PostgreSQL', () => {
  it('runs again a transaction whose raw statement lost a deadlock', async () => {
    const test = await startTestApi();
    try {
      const errors: unknown[] = [];
      let attempts = 0;
      const pause = () => new Promise((resolve) => setTimeout(resolve, 200));
      // Two transactions taking two locks in opposite orders: one of them is the victim.
      const crossed = (first: number, second: number) =>
        inTransaction(test.db.prisma, async (tx) => {
          attempts++;
          await tx.$executeRaw`SELECT pg_advisory_xact_lock(${first}::bigint)`;
          await pause();
          try {
            await tx.$executeRaw`SELECT pg_advisory_xact_lock(${second}::bigint)`;
          } catch (error) {
            errors.push(error);
            throw error;
          }
          return 'done';
        });
      expect(await Promise.all([crossed(7001, 7002), crossed(7002, 7001)])).toEqual(['done', 'done']);
      expect(errors.length).toBeGreaterThan(0);
      expect(errors.every(isRetryable)).toBe(true);
      expect(attempts).toBe(2 + errors.length);
    } finally {
      await test.close();
    }
  });
});
