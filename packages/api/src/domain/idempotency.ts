// Retries with the same idempotency key return the first result and write nothing new.
// The key is claimed by inserting its record first: a concurrent retry with the same key waits on
// that row until the first transaction commits, then reads its result.
import { createHash } from 'node:crypto';
import { Prisma } from '@school-licenses/db';
import { actorKey, type Actor, type Tx } from './actor.ts';
import { LicenseError } from './errors.ts';

export const DEFAULT_IDEMPOTENCY_TTL_HOURS = 24;

export interface IdempotencyRequest {
  key: string | null | undefined;
  operation: string;
  input: unknown;
  ttlHours?: number;
}

export async function idempotent<T extends Prisma.InputJsonValue>(
  tx: Tx,
  now: Date,
  actor: Actor,
  request: IdempotencyRequest,
  run: () => Promise<T>,
): Promise<T> {
  if (request.key === null || request.key === undefined) return run();
  // An empty or blank key is refused, not taken for none: that would turn idempotency off without a word.
  if (request.key.trim() === '') {
    throw new LicenseError('INVALID_INPUT', 'idempotencyKey', 'An idempotency key may not be empty or blank: leave it out to send none.');
  }
  if (request.key.length > 200) throw new LicenseError('INVALID_INPUT', 'idempotencyKey', 'An idempotency key has at most 200 characters.');
  // Control characters (NUL above all, which PostgreSQL text cannot hold) are refused, not stored.
  if (/[\u0000-\u001f\u007f]/.test(request.key)) {
    throw new LicenseError('INVALID_INPUT', 'idempotencyKey', 'An idempotency key has no control characters.');
  }
  const owner = actorKey(actor);
  const requestHash = createHash('sha256')
    .update(`${request.operation}\n${stableJson(request.input)}`)
    .digest('hex');
  const expiresAt = new Date(now.getTime() + (request.ttlHours ?? DEFAULT_IDEMPOTENCY_TTL_HOURS) * 3_600_000);
  // A key whose record expired is free again.
  await tx.idempotencyRecord.deleteMany({ where: { actorKey: owner, key: request.key, expiresAt: { lte: now } } });
  const claimed = await tx.$executeRaw(Prisma.sql`
    INSERT INTO "IdempotencyRecord" ("actorKey", key, operation, "requestHash", response, "createdAt", "expiresAt")
    VALUES (${owner}, ${request.key}, ${request.operation}, ${requestHash}, 'null'::jsonb, ${now}, ${expiresAt})
    ON CONFLICT ("actorKey", key) DO NOTHING`);
  if (claimed === 0) {
    const first = await tx.idempotencyRecord.findUniqueOrThrow({ where: { actorKey_key: { actorKey: owner, key: request.key } } });
    if (first.operation !== request.operation || first.requestHash !== requestHash) {
      throw new LicenseError('IDEMPOTENCY_KEY_REUSED', 'idempotencyKey');
    }
    return first.response as T;
  }
  const result = await run();
  await tx.idempotencyRecord.update({
    where: { actorKey_key: { actorKey: owner, key: request.key } },
    data: { response: result },
  });
  return result;
}

/** JSON with sorted keys, so the same input always hashes the same. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}
