// Runs a unit of domain work in one database transaction and turns the database's own refusals
// (unique keys that guard the invariants under concurrency) into business errors.
import type { PrismaClient } from '@school-licenses/db';
import type { Tx } from './actor.ts';
import { LicenseError } from './errors.ts';

export async function inTransaction<T>(prisma: PrismaClient, work: (tx: Tx) => Promise<T>): Promise<T> {
  try {
    return await prisma.$transaction(work, { maxWait: 10_000, timeout: 20_000 });
  } catch (error) {
    throw translateConstraintError(error);
  }
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

function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'P2002';
}
