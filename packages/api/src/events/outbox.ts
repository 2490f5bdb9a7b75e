// The transactional outbox: the events of a change are written in the same transaction as its
// audit events (by the statement after them, or by the change's own statement: assigning and
// revoking), so an event exists exactly when its change committed.
import { Prisma } from '@school-licenses/db';
import type { Actor, Tx } from '../domain/actor.ts';
import type { AuditEntry } from '../domain/audit.ts';
import { countedWhereSql, todaySql } from '../domain/license-state.ts';
import { eventKindOfAudit } from './kinds.ts';

/**
 * Writes the events of these audit entries in one statement. The product and its supplier come
 * from the license or the order (or the entry's own product: a group's rule, a waiter). An assignment that took the last assignable license of its
 * school and product also writes `pool.exhausted`, right after its own event.
 */
export async function recordEvents(tx: Tx, actor: Actor, at: Date, entries: readonly AuditEntry[]): Promise<void> {
  const insert = eventsInsertSql(actor, at, entries);
  if (insert) await tx.$executeRaw(insert);
}

/** An entry whose change a statement may not write: its events are written when `writtenIf` (an SQL condition on that statement's CTEs) holds. */
export interface ConditionalEntry {
  entry: AuditEntry;
  writtenIf: Prisma.Sql;
}

/**
 * The INSERT of recordEvents, for a change that writes its events in its own statement (a CTE of
 * it); null when no entry publishes an event. That statement sees the license counters as they were
 * before it (CTEs share one snapshot; the counters' trigger runs at its end): with
 * `countersBeforeAssigning`, the pool is exhausted when the assignment took the one assignable
 * license left, not when none is left.
 */
export function eventsInsertSql(
  actor: Actor,
  at: Date,
  entries: readonly (AuditEntry | ConditionalEntry)[],
  { countersBeforeAssigning = false } = {},
): Prisma.Sql | null {
  const rows = entries.flatMap((item, n) => {
    const { entry, writtenIf } = 'writtenIf' in item ? item : { entry: item, writtenIf: Prisma.sql`true` };
    const kind = eventKindOfAudit[entry.action];
    if (!kind) return [];
    const data = JSON.stringify({ before: entry.before ?? null, after: entry.after ?? null });
    return [
      Prisma.sql`(${n * 2}::int, ${kind}::text, ${entry.organisationId}::uuid, ${entry.schoolId ?? null}::uuid,
        ${entry.licenseId ?? null}::uuid, ${entry.userId ?? null}::uuid, ${entry.orderId ?? null}::uuid, ${data}::jsonb, ${entry.productId ?? null}::uuid,
        ${writtenIf})`,
    ];
  });
  if (rows.length === 0) return null;
  // Assignable: new, or started, unexpired and held by nobody (license-state.ts), on today's day
  // in the organisation's own zone (`eo`), not in UTC. Read from the license counters
  // (LicenseDayCount): a few rows, whatever the number of licenses.
  const today = todaySql(at, 'eo');
  const assignable = Prisma.sql`x."schoolId" = e."schoolId" AND x."productId" = e."productId" AND ${countedWhereSql('ASSIGNABLE', today, 'x')}`;
  const exhausted = countersBeforeAssigning
    ? Prisma.sql`(SELECT coalesce(sum(x.count), 0) FROM "LicenseDayCount" x WHERE ${assignable}) <= 1`
    : Prisma.sql`NOT EXISTS (SELECT 1 FROM "LicenseDayCount" x WHERE x.count > 0 AND ${assignable})`;
  return Prisma.sql`
    WITH v(n, kind, "organisationId", "schoolId", "licenseId", "userId", "orderId", data, "entryProductId", written) AS (VALUES ${Prisma.join(rows)}),
    e AS (
      SELECT v.n, v.kind, v."organisationId", v."schoolId", v."licenseId", v."userId", v."orderId", v.data, p.id AS "productId", p."supplierId"
      FROM v
      LEFT JOIN "License" l ON l.id = v."licenseId"
      LEFT JOIN "Order" o ON o.id = v."orderId"
      LEFT JOIN "Product" p ON p.id = COALESCE(l."productId", o."productId", v."entryProductId")
      WHERE v.written
    ),
    exhausted AS (
      SELECT e.n + 1 AS n, 'pool.exhausted' AS kind, e."organisationId", e."schoolId", NULL::uuid AS "licenseId",
        NULL::uuid AS "userId", NULL::uuid AS "orderId", '{}'::jsonb AS data, e."productId", e."supplierId"
      FROM e
      JOIN "Organisation" eo ON eo.id = e."organisationId"
      WHERE e.kind = 'license.assigned' AND ${exhausted}
    )
    INSERT INTO "Event" (id, kind, "organisationId", "schoolId", "productId", "supplierId", "licenseId", "userId", "orderId", "actorLabel", data, "createdAt")
    SELECT gen_random_uuid(), kind, "organisationId", "schoolId", "productId", "supplierId", "licenseId", "userId", "orderId", ${actor.label}, data, ${at}
    FROM (SELECT * FROM e UNION ALL SELECT * FROM exhausted) AS all_events
    ORDER BY n`;
}
