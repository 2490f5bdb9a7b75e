// The baseline: the benchmark's six requests answered by hand-written SQL through the `pg`
// driver or PGlite's query API, in a plain Node http handler, with the same JSON the API
// answers. No GraphQL execution, no ORM: the bar the API is measured against (as PostGraphile
// and Hasura compile a request to few SQL statements). It does the same checks and writes as the
// API on the paths the benchmark takes (authentication, visibility, the license rules, the audit
// event), in as few round trips as SQL allows; other paths answer an error.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { formatPrismaCursor } from '@pothos/plugin-prisma';
import { decodeGlobalID } from '@pothos/plugin-relay';
import { addDays, dayAt, DEFAULT_TIME_ZONE, formatDay, hmacKey, startOfDay } from '@school-licenses/api';
import { jwtVerify } from 'jose';
import type { OperationName } from './operations.ts';
import type { Sql } from './sql.ts';

export interface BaselineOptions {
  sql: Sql;
  jwtSecret: string;
  now?: () => Date;
}

interface Actor {
  id: string;
  organisationId: string;
  name: string;
  isOrganisationAdmin: boolean;
  roles: Map<string, string>;
}

type Query = Pick<Sql, 'query'>;
type Json = Record<string, unknown>;

class ClientError extends Error {}

const AUTO_START_SOON_DAYS = 30;
const iso = (date: Date | null | undefined) => (date ? new Date(date).toISOString() : null);
/** Days as the API has them: the data set's organisation counts them in the default zone. */
const ZONE = DEFAULT_TIME_ZONE;
const today = (at: Date) => formatDay(dayAt(at, ZONE));
const soon = (at: Date) => formatDay(addDays(dayAt(at, ZONE), AUTO_START_SOON_DAYS));
/** Relay global IDs as the API makes them: base64 of `Type:id`. */
const gid = (type: string, id: string) => Buffer.from(`${type}:${id}`).toString('base64');
const idOf = (globalId: unknown) => decodeGlobalID(String(globalId)).id;

export function createBaselineHandler(options: BaselineOptions): (request: IncomingMessage, response: ServerResponse) => void {
  const { sql } = options;
  const now = options.now ?? (() => new Date());
  // Imported once, as the API does.
  const key = hmacKey(options.jwtSecret);

  async function authenticate(header: string | undefined): Promise<Actor> {
    const token = /^Bearer\s+(\S+)$/i.exec(header ?? '')?.[1];
    if (!token) throw new ClientError('Authentication required');
    const { payload } = await jwtVerify(token, await key, { algorithms: ['HS256'], currentDate: now() });
    const [user] = await sql.query<{
      id: string;
      organisationId: string;
      name: string;
      isOrganisationAdmin: boolean;
      memberships: { schoolId: string; role: string }[];
    }>(
      `SELECT u.id::text, u."organisationId"::text AS "organisationId", u.name, u."isOrganisationAdmin",
         COALESCE(json_agg(json_build_object('schoolId', m."schoolId", 'role', m.role)) FILTER (WHERE m."userId" IS NOT NULL), '[]') AS memberships
       FROM "User" u LEFT JOIN "SchoolMembership" m ON m."userId" = u.id
       WHERE u.id = $1 GROUP BY u.id`,
      [payload.sub],
    );
    if (!user) throw new ClientError('The token names no known user.');
    return { ...user, roles: new Map(user.memberships.map((m) => [m.schoolId, m.role])) };
  }

  const sees = (actor: Actor, school: { id: string; organisationId: string }) =>
    actor.organisationId === school.organisationId && (actor.isOrganisationAdmin || actor.roles.has(school.id));
  const manages = (actor: Actor, school: { id: string; organisationId: string }) =>
    actor.organisationId === school.organisationId && (actor.isOrganisationAdmin || actor.roles.get(school.id) === 'SCHOOL_ADMIN');

  async function visibleSchool(actor: Actor, schoolId: string) {
    const [school] = await sql.query<{ id: string; organisationId: string; name: string }>(
      `SELECT id::text, "organisationId"::text AS "organisationId", name FROM "School" WHERE id = $1`,
      [schoolId],
    );
    if (!school || !sees(actor, school)) return null;
    if (!manages(actor, school)) throw new ClientError("Only the school's administrators and integrations see its licenses.");
    return school;
  }

  /** Counts and pool per product, as LicenseAvailability. */
  const AVAILABILITY_COLUMNS = `
    count(l.id) FILTER (WHERE l."startedAt" IS NULL AND l."autoStartOn" > $2::date)::int AS "new",
    count(l.id) FILTER (WHERE l."assignedUserId" IS NOT NULL AND (l."startedAt" IS NOT NULL OR l."autoStartOn" <= $2::date) AND l."endDate" >= $2::date)::int AS "assigned",
    count(l.id) FILTER (WHERE (l."startedAt" IS NOT NULL OR l."autoStartOn" <= $2::date) AND l."endDate" < $2::date)::int AS "expired",
    count(l.id) FILTER (WHERE l."startedAt" IS NULL AND l."autoStartOn" > $2::date AND l."autoStartOn" <= $3::date)::int AS "soon",
    (min(l."autoStartOn") FILTER (WHERE l."startedAt" IS NULL AND l."autoStartOn" > $2::date))::text AS "next",
    (SELECT sum(o.quantity)::int FROM "Order" o WHERE o."schoolId" = $1 AND o."productId" = p.id AND o.status = 'AWAITING_DELIVERY') AS "awaiting",
    (SELECT json_agg(json_build_object('endDate', g."endDate", 'count', g.n) ORDER BY g."endDate")
       FROM (SELECT r."endDate", count(*) AS n FROM "License" r
             WHERE r."schoolId" = $1 AND r."productId" = p.id AND r."assignedUserId" IS NULL
               AND (r."startedAt" IS NOT NULL OR r."autoStartOn" <= $2::date) AND r."endDate" >= $2::date
             GROUP BY r."endDate") g) AS "pool"`;

  interface AvailabilityRow {
    new: number;
    assigned: number;
    expired: number;
    soon: number;
    next: string | null;
    awaiting: number | null;
    pool: { endDate: string; count: number }[] | null;
  }

  /** The admin view leaves out reusable.needsEndDateChoice (to stay within the complexity limit). */
  const availabilityJson = (row: AvailabilityRow, needsEndDateChoice = true) => {
    const endDates = (row.pool ?? []).map((g) => ({ endDate: g.endDate, count: Number(g.count) }));
    const total = endDates.reduce((sum, g) => sum + g.count, 0);
    return {
      newLicenses: row.new,
      assignable: row.new + total,
      assigned: row.assigned,
      expired: row.expired,
      awaitingDelivery: row.awaiting ?? 0,
      autoStartingSoon: row.soon,
      nextAutoStartOn: row.next,
      reusable: needsEndDateChoice ? { total, needsEndDateChoice: endDates.length > 1, endDates } : { total, endDates },
    };
  };

  interface LicenseRow {
    id: string;
    startedAt: Date | null;
    /** Days, as YYYY-MM-DD (selected as text). */
    autoStartOn: string;
    endDate: string;
    assignedUserId: string | null;
    holderName: string | null;
  }

  /** A License as the documents select it: the admin view leaves out startedAt and reusable. */
  const licenseJson = (license: LicenseRow, at: Date, fields: { startedAt: boolean; reusable: boolean }) => {
    const day = today(at);
    const started = license.startedAt ?? (license.autoStartOn <= day ? startOfDay(new Date(`${license.autoStartOn}T00:00:00Z`), ZONE) : null);
    const state = !started ? 'NEW' : license.endDate >= day ? 'STARTED' : 'EXPIRED';
    // Past its end date a license has no holder, whether or not the sweep has run.
    const holder = license.assignedUserId && state !== 'EXPIRED' ? { id: gid('User', license.assignedUserId), name: license.holderName } : null;
    return {
      id: gid('License', license.id),
      state,
      ...(fields.startedAt ? { startedAt: iso(started) } : {}),
      endDate: started ? license.endDate : null,
      ...(fields.reusable ? { reusable: state === 'STARTED' && !license.assignedUserId } : {}),
      holder,
    };
  };

  async function adminView(actor: Actor, variables: Json): Promise<Json> {
    const school = await visibleSchool(actor, idOf(variables.school));
    if (!school) return { school: null };
    const first = Number(variables.first ?? 20);
    const at = now();
    // Every product of the school with its availability and license count, in one statement.
    const products = await sql.query<AvailabilityRow & { id: string; name: string; supplierName: string; total: number }>(
      `SELECT p.id::text, p.name, s.name AS "supplierName", count(l.id)::int AS total, ${AVAILABILITY_COLUMNS}
       FROM "Product" p JOIN "Supplier" s ON s.id = p."supplierId"
       LEFT JOIN "License" l ON l."schoolId" = $1 AND l."productId" = p.id
       WHERE EXISTS (SELECT 1 FROM "License" x WHERE x."schoolId" = $1 AND x."productId" = p.id)
          OR EXISTS (SELECT 1 FROM "Order" o WHERE o."schoolId" = $1 AND o."productId" = p.id)
       GROUP BY p.id, s.name
       ORDER BY p.name`,
      [school.id, today(at), soon(at)],
    );
    // The first page of every product's licenses with their holders, in one statement.
    const licenses = await sql.query<LicenseRow & { productId: string }>(
      `SELECT l."productId"::text AS "productId", l.id::text, l."startedAt", l."autoStartOn"::text AS "autoStartOn", l."endDate"::text AS "endDate",
         l."assignedUserId"::text AS "assignedUserId", u.name AS "holderName"
       FROM unnest($2::uuid[]) AS p(id)
       CROSS JOIN LATERAL (
         SELECT * FROM "License" l WHERE l."schoolId" = $1 AND l."productId" = p.id
         ORDER BY l."endDate", l.id LIMIT $3) l
       LEFT JOIN LATERAL (SELECT name FROM "User" u WHERE u.id = l."assignedUserId") u ON true
       ORDER BY l."productId", l."endDate", l.id`,
      [school.id, products.map((p) => p.id), first + 1],
    );
    const pages = new Map<string, (LicenseRow & { productId: string })[]>();
    for (const license of licenses) {
      const page = pages.get(license.productId) ?? [];
      page.push(license);
      pages.set(license.productId, page);
    }
    return {
      school: {
        id: gid('School', school.id),
        name: school.name,
        products: products.map((product) => {
          const page = pages.get(product.id) ?? [];
          const shown = page.slice(0, first);
          const edges = shown.map((license) => ({ node: licenseJson(license, at, { startedAt: false, reusable: false }) }));
          const last = shown.at(-1);
          return {
            product: { id: gid('Product', product.id), name: product.name, supplierName: product.supplierName },
            availability: availabilityJson(product, false),
            licenses: {
              totalCount: product.total,
              pageInfo: { hasNextPage: page.length > first, endCursor: last ? formatPrismaCursor({ id: last.id }, 'id') : null },
              edges,
            },
          };
        }),
      },
    };
  }

  async function availability(actor: Actor, variables: Json): Promise<Json> {
    const school = await visibleSchool(actor, idOf(variables.school));
    if (!school) return { schoolProduct: null };
    const at = now();
    const [row] = await sql.query<AvailabilityRow>(
      `SELECT ${AVAILABILITY_COLUMNS}
       FROM "Product" p LEFT JOIN "License" l ON l."schoolId" = $1 AND l."productId" = p.id
       WHERE p.id = $4 GROUP BY p.id`,
      [school.id, today(at), soon(at), idOf(variables.product)],
    );
    return { schoolProduct: row ? { availability: availabilityJson(row) } : null };
  }

  /**
   * The entitlement check: the license of the product the user holds today, when the actor may
   * see the user (the API's visibleUsers: the organisation's admin, the user, or an admin of a
   * school of theirs); null when they may not.
   */
  async function entitlement(actor: Actor, variables: Json): Promise<Json> {
    const day = today(now());
    const adminOf = [...actor.roles].filter(([, role]) => role === 'SCHOOL_ADMIN').map(([schoolId]) => schoolId);
    const [row] = await sql.query<{ endDate: string | null }>(
      `SELECT l."endDate"::text AS "endDate" FROM "User" u
       LEFT JOIN "License" l ON l."assignedUserId" = u.id AND l."productId" = $2
         AND NOT ((l."startedAt" IS NOT NULL OR l."autoStartOn" <= $3::date) AND l."endDate" < $3::date)
       WHERE u.id = $1 AND u."organisationId" = $4
         AND ($5 OR u.id = $6 OR EXISTS (SELECT 1 FROM "SchoolMembership" m WHERE m."userId" = u.id AND m."schoolId" = ANY(string_to_array($7, ',')::uuid[])))
       LIMIT 1`,
      [idOf(variables.user), idOf(variables.product), day, actor.organisationId, actor.isOrganisationAdmin, actor.id, adminOf.join(',')],
    );
    if (!row) return { entitlement: null };
    if (!row.endDate) return { entitlement: { holds: false, endDate: null, daysLeft: null } };
    return { entitlement: { holds: true, endDate: row.endDate, daysLeft: (Date.parse(row.endDate) - Date.parse(day)) / 86_400_000 + 1 } };
  }

  const snapshot = (l: { startedAt: Date | null; endDate: string; assignedUserId: string | null }) => ({
    startedAt: iso(l.startedAt),
    endDate: l.endDate,
    assignedUserId: l.assignedUserId,
  });

  /** assignLicense with reuseStarted and a chosen end date: the path the benchmark takes. */
  async function assign(actor: Actor, variables: Json): Promise<Json> {
    const input = variables.input as Json;
    if (input.reuseStarted !== true || !input.endDate) throw new ClientError('baseline: only reuseStarted with an endDate');
    const [schoolId, productId, userId] = [idOf(input.school), idOf(input.product), idOf(input.user)];
    const at = now();
    const payload = await sql.transaction(async (tx: Query) => {
      const [found] = await tx.query<{ organisationId: string; role: string | null; userName: string | null }>(
        `SELECT s."organisationId"::text AS "organisationId", m.role::text AS role, u.name AS "userName"
         FROM "School" s JOIN "Product" p ON p.id = $2
         LEFT JOIN "SchoolMembership" m ON m."schoolId" = s.id AND m."userId" = $3
         LEFT JOIN "User" u ON u.id = m."userId"
         WHERE s.id = $1`,
        [schoolId, productId, userId],
      );
      if (!found || !manages(actor, { id: schoolId, organisationId: found.organisationId })) return error('NOT_FOUND', 'school');
      if (!found.role || found.role === 'SCHOOL_ADMIN') return error('USER_NOT_IN_SCHOOL', 'user');
      const [held] = await tx.query<{ expired: boolean }>(
        `SELECT l."endDate" < $3::date AS expired FROM "Assignment" a JOIN "License" l ON l.id = a."licenseId"
         WHERE a."userId" = $1 AND a."productId" = $2 AND a."isActive"`,
        [userId, productId, today(at)],
      );
      if (held) return error(held.expired ? 'BASELINE_EXPIRED_NOT_HANDLED' : 'USER_ALREADY_HAS_LICENSE', 'user');
      const [license] = await tx.query<LicenseRow>(
        `SELECT id::text, "startedAt", "autoStartOn"::text AS "autoStartOn", "endDate"::text AS "endDate", "assignedUserId"::text AS "assignedUserId" FROM "License"
         WHERE "schoolId" = $1 AND "productId" = $2 AND "assignedUserId" IS NULL
           AND "startedAt" IS NOT NULL AND "endDate" = $4::date AND "endDate" >= $3::date
         ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED`,
        [schoolId, productId, today(at), String(input.endDate)],
      );
      // The benchmark reuses licenses whose start is written down; the API also writes down auto-starts.
      if (!license?.startedAt) return error('END_DATE_NOT_AVAILABLE', 'endDate');
      const startedAt = license.startedAt;
      const before = snapshot(license);
      const after = { ...snapshot({ ...license, startedAt, assignedUserId: userId }), reusedStarted: true };
      // The license, the assignment and the audit event in one statement.
      const [written] = await tx.query<{ assignmentId: string }>(
        `WITH license AS (
           UPDATE "License" SET "startedAt" = $2::timestamp(3), "assignedUserId" = $3::uuid WHERE id = $1::uuid RETURNING id),
         assignment AS (
           INSERT INTO "Assignment" (id, "licenseId", "userId", "productId", "schoolId", "assignedAt", "assignedById", "isActive")
           SELECT gen_random_uuid(), id, $3::uuid, $4::uuid, $5::uuid, $6::timestamp(3), $7::uuid, true FROM license RETURNING id)
         INSERT INTO "AuditEvent" (id, "organisationId", "schoolId", action, "actorUserId", "actorLabel", "licenseId", "userId", before, after, "createdAt")
         SELECT gen_random_uuid(), $8::uuid, $5::uuid, 'LICENSE_ASSIGNED', $7::uuid, $9::text, $1::uuid, $3::uuid, $10::jsonb, $11::jsonb, $6::timestamp(3)
         FROM assignment
         RETURNING (SELECT id::text FROM assignment) AS "assignmentId"`,
        [
          license.id,
          iso(startedAt),
          userId,
          productId,
          schoolId,
          iso(at),
          actor.id,
          found.organisationId,
          actor.name,
          JSON.stringify(before),
          JSON.stringify(after),
        ],
      );
      return {
        __typename: 'AssignLicensePayload',
        license: licenseJson({ ...license, startedAt, assignedUserId: userId, holderName: found.userName }, at, { startedAt: true, reusable: true }),
        assignment: {
          id: gid('Assignment', written!.assignmentId),
          state: license.endDate >= today(at) ? 'ACTIVE' : 'EXPIRED',
          assignedAt: iso(at),
          user: { id: gid('User', userId), name: found.userName },
        },
      };
    });
    return { assignLicense: payload };
  }

  async function revoke(actor: Actor, variables: Json): Promise<Json> {
    const licenseId = idOf(variables.license);
    const at = now();
    const payload = await sql.transaction(async (tx: Query) => {
      const [license] = await tx.query<LicenseRow & { schoolId: string; organisationId: string }>(
        `SELECT l.id::text, l."schoolId"::text AS "schoolId", s."organisationId"::text AS "organisationId", l."startedAt",
           l."autoStartOn"::text AS "autoStartOn", l."endDate"::text AS "endDate",
           l."assignedUserId"::text AS "assignedUserId"
         FROM "License" l JOIN "School" s ON s.id = l."schoolId" WHERE l.id = $1 FOR UPDATE OF l`,
        [licenseId],
      );
      if (!license || !manages(actor, { id: license.schoolId, organisationId: license.organisationId })) return error('NOT_FOUND', 'license');
      // Past its end date a license has no holder to revoke it from (the sweep writes its expiry down).
      const day = today(at);
      if (license.endDate < day && (license.startedAt !== null || license.autoStartOn <= day)) return error('LICENSE_NOT_ASSIGNED', 'license');
      const [ended] = await tx.query<{ userId: string }>(
        `WITH assignment AS (
           UPDATE "Assignment" SET "isActive" = NULL, "endedAt" = $2::timestamp(3), "endReason" = $3::"AssignmentEndReason", "endedById" = $4::uuid
           WHERE "licenseId" = $1::uuid AND "isActive" RETURNING "userId"),
         license AS (
           UPDATE "License" SET "assignedUserId" = NULL WHERE id = $1::uuid AND EXISTS (SELECT 1 FROM assignment) RETURNING id)
         INSERT INTO "AuditEvent" (id, "organisationId", "schoolId", action, "actorUserId", "actorLabel", "licenseId", "userId", before, after, "createdAt")
         SELECT gen_random_uuid(), $5::uuid, $6::uuid, $7::"AuditAction", $4::uuid, $8::text, license.id, assignment."userId", $9::jsonb, $10::jsonb,
           $2::timestamp(3)
         FROM license, assignment
         RETURNING "userId"::text`,
        [
          licenseId,
          iso(at),
          'REVOKED_BY_ADMIN',
          actor.id,
          license.organisationId,
          license.schoolId,
          'LICENSE_REVOKED',
          actor.name,
          JSON.stringify(snapshot(license)),
          JSON.stringify(snapshot({ ...license, assignedUserId: null })),
        ],
      );
      if (!ended) return error('LICENSE_NOT_ASSIGNED', 'license');
      return {
        __typename: 'LicensePayload',
        license: licenseJson({ ...license, assignedUserId: null, holderName: null }, at, { startedAt: false, reusable: true }),
      };
    });
    return { revokeLicense: payload };
  }

  function error(code: string, field: string) {
    return { __typename: 'LicenseError', code, message: code, field };
  }

  const operations: Record<Exclude<OperationName, 'Floor'>, (actor: Actor, variables: Json) => Promise<Json>> = {
    AdminView: adminView,
    Availability: availability,
    Entitlement: entitlement,
    Assign: assign,
    Revoke: revoke,
  };

  return (request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      void (async () => {
        let status = 200;
        let result: Json;
        try {
          const { operationName, variables } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { operationName: OperationName; variables?: Json };
          if (operationName === 'Floor') {
            // Nothing a credential guards: the API answers it without one too.
            result = { data: { __typename: 'Query' } };
          } else {
            const operation = operations[operationName];
            if (!operation) throw new ClientError(`baseline: unknown operation ${operationName}`);
            const actor = await authenticate(request.headers.authorization);
            result = { data: await operation(actor, variables ?? {}) };
          }
        } catch (error) {
          status = error instanceof ClientError ? 200 : 500;
          result = { errors: [{ message: (error as Error).message }] };
        }
        const json = JSON.stringify(result);
        response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(json) });
        response.end(json);
      })();
    });
  };
}
