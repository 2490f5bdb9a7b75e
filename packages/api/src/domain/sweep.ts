// Writes down what time has already made true: licenses past their auto-start day are started
// (at 00:00 of that day in their organisation's zone, not when the sweep noticed), and assignments
// of expired licenses end (at the expiry, by the system). Queries never depend on it; it keeps the
// stored rows and the audit log in step. Idempotent. It also prunes the change feed (retention.ts).
import { Prisma, type PrismaClient } from '@school-licenses/db';
import type { Clock } from '../clock.ts';
import { systemActor } from './actor.ts';
import { recordAudits } from './audit.ts';
import { autoStartEntry, endExpiredAssignments } from './assignments.ts';
import { day, moment } from './sql.ts';
import { licensesInStateSql, startOfDaySql, todaySql } from './license-state.ts';
import { inTransaction } from './transaction.ts';
import { notifyComingDates } from '../events/notices.ts';
import { DEFAULT_EVENT_RETENTION_DAYS, pruneEvents } from '../events/retention.ts';

export interface SweepReport {
  autoStarted: number;
  assignmentsExpired: number;
  /** Notifications of licenses starting by themselves or expiring soon. */
  notified: number;
  /** Events older than the feed's retention, delivered to every webhook endpoint, deleted. */
  eventsPruned: number;
}

const BATCH = 500;

export async function runSweep(
  prisma: PrismaClient,
  clock: Clock,
  onProgress: (report: SweepReport) => void = () => {},
  options: { eventRetentionDays?: number } = {},
): Promise<SweepReport> {
  const report: SweepReport = { autoStarted: 0, assignmentsExpired: 0, notified: 0, eventsPruned: 0 };
  for (;;) {
    const started = await inTransaction(prisma, (tx) => alone(tx, () => autoStartBatch(tx, clock.now())));
    report.autoStarted += started;
    if (started > 0) onProgress({ ...report });
    if (started < BATCH) break;
  }
  report.assignmentsExpired = await inTransaction(prisma, (tx) => alone(tx, () => endExpiredAssignments(tx, clock.now())));
  report.notified = await inTransaction(prisma, (tx) => alone(tx, () => notifyComingDates(tx, clock.now())));
  report.eventsPruned = await pruneEvents(prisma, clock, { retentionDays: options.eventRetentionDays ?? DEFAULT_EVENT_RETENTION_DAYS });
  onProgress({ ...report });
  return report;
}

/**
 * Every API instance runs the sweep on its timer: one step runs on one instance at a time, under a
 * transaction-scoped advisory lock. An instance that finds it taken leaves that step to the holder
 * (counts 0) instead of waiting behind it to find nothing left.
 */
async function alone(tx: Prisma.TransactionClient, step: () => Promise<number>): Promise<number> {
  const [row] = await tx.$queryRaw<{ locked: boolean }[]>`SELECT pg_try_advisory_xact_lock(hashtext('school-licenses:sweep')) AS locked`;
  return row?.locked ? step() : 0;
}

async function autoStartBatch(tx: Prisma.TransactionClient, now: Date): Promise<number> {
  // Each organisation's today from its own zone. SKIP LOCKED: two sweeps on two API instances
  // share the work instead of waiting.
  const due = await tx.$queryRaw<Record<string, unknown>[]>(Prisma.sql`
    SELECT l.id::text AS id, l."schoolId"::text AS "schoolId", l."endDate"::text AS "endDate", s."organisationId"::text AS "organisationId",
      (extract(epoch FROM ${startOfDaySql(Prisma.sql`l."autoStartOn"`)}) * 1000)::float8 AS "startedAt"
    FROM "License" l JOIN "School" s ON s.id = l."schoolId" JOIN "Organisation" o ON o.id = s."organisationId"
    WHERE l."startedAt" IS NULL AND NOT ${licensesInStateSql('NEW', todaySql(now), 'l')}
    ORDER BY l."autoStartOn"
    LIMIT ${BATCH}
    FOR UPDATE OF l SKIP LOCKED`);
  if (due.length === 0) return 0;
  const licenses = due.map((row) => ({
    id: row.id as string,
    schoolId: row.schoolId as string,
    organisationId: row.organisationId as string,
    endDate: day(row.endDate),
    startedAt: moment(row.startedAt),
  }));
  await tx.$executeRaw(Prisma.sql`
    UPDATE "License" l SET "startedAt" = ${startOfDaySql(Prisma.sql`l."autoStartOn"`)}
    FROM "School" s, "Organisation" o
    WHERE s.id = l."schoolId" AND o.id = s."organisationId"
      AND l.id IN (${Prisma.join(licenses.map((l) => Prisma.sql`${l.id}::uuid`))}) AND l."startedAt" IS NULL`);
  // By the system: each audit event at its own deadline, the feed's events now, when they are
  // written down (docs/EVENTS.md), so the feed keeps its order and retention counts from then.
  await recordAudits(
    tx,
    systemActor,
    now,
    licenses.map((license) => ({ ...autoStartEntry(license, license.organisationId), at: license.startedAt })),
  );
  return licenses.length;
}
