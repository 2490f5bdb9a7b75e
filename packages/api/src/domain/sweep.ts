// Writes down what time has already made true: licenses past their auto-start deadline are
// started (at the deadline, not when the sweep noticed), and assignments of expired licenses end.
// Queries never depend on it; it keeps the stored rows and the audit log in step. Idempotent.
import { Prisma, type PrismaClient } from '@school-licenses/db';
import type { Clock } from '../clock.ts';
import { systemActor } from './actor.ts';
import { recordAudits } from './audit.ts';
import { endExpiredAssignments } from './assignments.ts';
import { inTransaction } from './transaction.ts';

export interface SweepReport {
  autoStarted: number;
  assignmentsExpired: number;
}

const BATCH = 500;

export async function runSweep(prisma: PrismaClient, clock: Clock, onProgress: (report: SweepReport) => void = () => {}): Promise<SweepReport> {
  const report: SweepReport = { autoStarted: 0, assignmentsExpired: 0 };
  for (;;) {
    const started = await inTransaction(prisma, (tx) => autoStartBatch(tx, clock.now()));
    report.autoStarted += started;
    if (started > 0) onProgress({ ...report });
    if (started < BATCH) break;
  }
  report.assignmentsExpired = await inTransaction(prisma, (tx) => endExpiredAssignments(tx, clock.now(), systemActor));
  onProgress({ ...report });
  return report;
}

async function autoStartBatch(tx: Prisma.TransactionClient, now: Date): Promise<number> {
  // SKIP LOCKED: two sweeps on two API instances share the work instead of waiting.
  const due = await tx.$queryRaw<{ id: string; schoolId: string; autoStartAt: Date; endDate: Date; organisationId: string }[]>(Prisma.sql`
    SELECT l.id, l."schoolId", l."autoStartAt", l."endDate", s."organisationId"
    FROM "License" l JOIN "School" s ON s.id = l."schoolId"
    WHERE l."startedAt" IS NULL AND l."autoStartAt" <= ${now}
    ORDER BY l."autoStartAt"
    LIMIT ${BATCH}
    FOR UPDATE OF l SKIP LOCKED`);
  if (due.length === 0) return 0;
  await tx.$executeRaw(Prisma.sql`
    UPDATE "License" SET "startedAt" = "autoStartAt"
    WHERE id IN (${Prisma.join(due.map((l) => Prisma.sql`${l.id}::uuid`))}) AND "startedAt" IS NULL`);
  await recordAudits(
    tx,
    systemActor,
    now,
    due.map((license) => ({
      action: 'LICENSE_AUTO_STARTED' as const,
      organisationId: license.organisationId,
      schoolId: license.schoolId,
      licenseId: license.id,
      before: { startedAt: null },
      after: { startedAt: new Date(license.autoStartAt).toISOString(), endDate: new Date(license.endDate).toISOString() },
    })),
  );
  return due.length;
}
