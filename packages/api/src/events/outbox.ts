// The transactional outbox: the events of a change are written by the statement after its audit
// events, in the same transaction, so an event exists exactly when its change committed.
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
  const rows = entries.flatMap((entry, n) => {
    const kind = eventKindOfAudit[entry.action];
    if (!kind) return [];
    const data = JSON.stringify({ before: entry.before ?? null, after: entry.after ?? null });
    return [
      Prisma.sql`(${n * 2}::int, ${kind}::text, ${entry.organisationId}::uuid, ${entry.schoolId ?? null}::uuid,
        ${entry.licenseId ?? null}::uuid, ${entry.userId ?? null}::uuid, ${entry.orderId ?? null}::uuid, ${data}::jsonb, ${entry.productId ?? null}::uuid)`,
    ];
  });
  if (rows.length === 0) return;
  // Assignable: new, or started, unexpired and held by nobody (license-state.ts), on today's day
  // in the organisation's own zone (`eo`), not in UTC. Read from the license counters
  // (LicenseDayCount, which the statement that assigned has already changed): a few rows,
  // whatever the number of licenses.
  const today = todaySql(at, 'eo');
  const assignable = Prisma.sql`x.count > 0 AND ${countedWhereSql('ASSIGNABLE', today, 'x')}`;
  await tx.$executeRaw(Prisma.sql`
    WITH v(n, kind, "organisationId", "schoolId", "licenseId", "userId", "orderId", data, "entryProductId") AS (VALUES ${Prisma.join(rows)}),
    e AS (
      SELECT v.n, v.kind, v."organisationId", v."schoolId", v."licenseId", v."userId", v."orderId", v.data, p.id AS "productId", p."supplierId"
      FROM v
      LEFT JOIN "License" l ON l.id = v."licenseId"
      LEFT JOIN "Order" o ON o.id = v."orderId"
      LEFT JOIN "Product" p ON p.id = COALESCE(l."productId", o."productId", v."entryProductId")
    ),
    exhausted AS (
      SELECT e.n + 1 AS n, 'pool.exhausted' AS kind, e."organisationId", e."schoolId", NULL::uuid AS "licenseId",
        NULL::uuid AS "userId", NULL::uuid AS "orderId", '{}'::jsonb AS data, e."productId", e."supplierId"
      FROM e
      JOIN "Organisation" eo ON eo.id = e."organisationId"
      WHERE e.kind = 'license.assigned'
        AND NOT EXISTS (SELECT 1 FROM "LicenseDayCount" x
          WHERE x."schoolId" = e."schoolId" AND x."productId" = e."productId" AND ${assignable})
    )
    INSERT INTO "Event" (id, kind, "organisationId", "schoolId", "productId", "supplierId", "licenseId", "userId", "orderId", "actorLabel", data, "createdAt")
    SELECT gen_random_uuid(), kind, "organisationId", "schoolId", "productId", "supplierId", "licenseId", "userId", "orderId", ${actor.label}, data, ${at}
    FROM (SELECT * FROM e UNION ALL SELECT * FROM exhausted) AS all_events
    ORDER BY n`);
}
