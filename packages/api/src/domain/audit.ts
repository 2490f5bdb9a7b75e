// Every change to a license, the roster or the catalogue is recorded (who, what, when) in the same
// transaction as the change, and so is the event it publishes (events/outbox.ts): no change can forget either.
import { Prisma, type AuditAction, type License } from '@school-licenses/db';
import { recordEvents } from '../events/outbox.ts';
import { auditActor, type Actor, type Tx } from './actor.ts';
import { formatDay } from './days.ts';
import { insertRows, uuidV7, uuidV7s } from './sql.ts';

export interface AuditEntry {
  action: AuditAction;
  /** Null only for a supplier's catalogue changes. */
  organisationId: string | null;
  supplierId?: string | null;
  schoolId?: string | null;
  groupId?: string | null;
  productId?: string | null;
  licenseId?: string | null;
  userId?: string | null;
  orderId?: string | null;
  before?: Prisma.InputJsonValue | null;
  after?: Prisma.InputJsonValue | null;
  /** When it happened, if not at the moment given to recordAudits: an expiry happens at its own moment. */
  at?: Date;
}

export async function recordAudit(tx: Tx, actor: Actor, at: Date, entry: AuditEntry): Promise<void> {
  await tx.auditEvent.create({ data: auditData(actor, at, entry) });
  await recordEvents(tx, actor, at, [entry]);
}

/** Many entries in one statement, for bulk changes (deliveries, the auto-start sweep). */
export async function recordAudits(tx: Tx, actor: Actor, at: Date, entries: AuditEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await writeAudits(tx, actor, at, entries);
  await recordEvents(tx, actor, at, entries);
}

/** The audit events alone, in one statement: for a change whose event tells less than its audit (orders.ts). */
export async function writeAudits(tx: Tx, actor: Actor, at: Date, entries: AuditEntry[]): Promise<void> {
  const ids = uuidV7s(entries.length, at.getTime());
  await insertRows(
    tx,
    'AuditEvent',
    AUDIT_COLUMNS,
    entries.map((entry, n) => ({ id: ids[n], ...auditData(actor, at, entry) })),
  );
}

const AUDIT_COLUMNS: Record<string, string> = {
  id: 'uuid',
  organisationId: 'uuid',
  supplierId: 'uuid',
  schoolId: 'uuid',
  groupId: 'uuid',
  productId: 'uuid',
  action: '"AuditAction"',
  actorUserId: 'uuid',
  actorCredentialId: 'uuid',
  actorLabel: 'text',
  licenseId: 'uuid',
  userId: 'uuid',
  orderId: 'uuid',
  before: 'jsonb',
  after: 'jsonb',
  createdAt: 'timestamp(3)',
};

/**
 * The INSERT of one entry as SQL, one row per row of `from` (a CTE of the statement it ends), for
 * a change written in one statement with its audit event (assignLicense). Its events are written
 * by recordEvents after it.
 */
export function auditInsertSql(actor: Actor, at: Date, entry: AuditEntry, from: Prisma.Sql): Prisma.Sql {
  const data = auditData(actor, at, entry);
  const uuid = (value: string | null | undefined) => Prisma.sql`${value ?? null}::uuid`;
  const json = (value: unknown) => (value === undefined || value === null ? Prisma.sql`NULL::jsonb` : Prisma.sql`${JSON.stringify(value)}::jsonb`);
  return Prisma.sql`
    INSERT INTO "AuditEvent" (id, "organisationId", "supplierId", "schoolId", "groupId", "productId", action, "actorUserId", "actorCredentialId",
      "actorLabel", "licenseId", "userId", "orderId", before, after, "createdAt")
    SELECT ${uuidV7(at.getTime())}::uuid, ${uuid(data.organisationId)}, ${uuid(data.supplierId)}, ${uuid(data.schoolId)}, ${uuid(data.groupId)},
      ${uuid(data.productId)}, ${data.action}::"AuditAction", ${uuid(data.actorUserId)}, ${uuid(data.actorCredentialId)}, ${data.actorLabel},
      ${uuid(data.licenseId)}, ${uuid(data.userId)}, ${uuid(data.orderId)}, ${json(data.before)}, ${json(data.after)}, ${data.createdAt}
    FROM ${from}`;
}

function auditData(actor: Actor, at: Date, { at: happenedAt, ...entry }: AuditEntry): Prisma.AuditEventCreateManyInput {
  return {
    ...auditActor(actor),
    ...entry,
    before: entry.before ?? undefined,
    after: entry.after ?? undefined,
    createdAt: happenedAt ?? at,
  };
}

/** The part of a license an audit event keeps as before and after. */
export function licenseSnapshot(license: Pick<License, 'startedAt' | 'endDate' | 'assignedUserId'>) {
  return {
    startedAt: license.startedAt?.toISOString() ?? null,
    endDate: formatDay(license.endDate),
    assignedUserId: license.assignedUserId,
  };
}
