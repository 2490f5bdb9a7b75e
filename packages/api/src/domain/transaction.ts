// Runs a unit of domain work in one database transaction and turns the database's own refusals
// (unique keys that guard the invariants under concurrency) into business errors.
import { withTransactionSql, type PrismaClient } from '@school-licenses/db';
import type { Tx } from './actor.ts';
import { LicenseError } from './errors.ts';

/** How many times a transaction that lost a deadlock or a serialization conflict is run again. */
export const TRANSACTION_ATTEMPTS = 4;

export async function inTransaction<T>(prisma: PrismaClient, work: (tx: Tx) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      // Its raw statements go to its connection through the driver (txRows, txWrite).
      return await withTransactionSql(() => prisma.$transaction(work, { maxWait: 10_000, timeout: 20_000 }));
    } catch (error) {
      // The database rolled the whole transaction back, so running it again is safe.
      if (isRetryable(error) && attempt < TRANSACTION_ATTEMPTS) {
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * 2 ** attempt));
        continue;
      }
      throw translateConstraintError(error);
    }
  }
}

/**
 * PostgreSQL chose this transaction as a deadlock victim or serialization loser (40P01, 40001):
 * P2034 from Prisma's own queries, P2010 with the driver's code from a raw statement through
 * Prisma, the code itself from one through the driver (txRows, txWrite: assigning and revoking).
 */
export function isRetryable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, meta } = error as { code?: unknown; meta?: { driverAdapterError?: { cause?: { originalCode?: unknown } } } };
  const sqlState = code === 'P2010' ? meta?.driverAdapterError?.cause?.originalCode : code;
  return code === 'P2034' || sqlState === '40P01' || sqlState === '40001';
}

function translateConstraintError(error: unknown): unknown {
  if (!isUniqueViolation(error)) return error;
  const text = JSON.stringify((error as { meta?: unknown }).meta ?? {}) + String((error as Error).message);
  // A concurrent request gave this user a license of the product first.
  if (text.includes('userId_productId_isActive') || /userId.*productId.*isActive/.test(text)) {
    return new LicenseError('USER_ALREADY_HAS_LICENSE', 'user');
  }
  return error;
}

/** P2002 from Prisma's own queries; P2010 with PostgreSQL's 23505 from a raw statement through Prisma, 23505 itself through the driver (assignLicense's write). */
function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, meta } = error as { code?: unknown; meta?: { code?: unknown } };
  return code === 'P2002' || code === '23505' || (code === 'P2010' && meta?.code === '23505');
}
