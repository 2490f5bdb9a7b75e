// The rows a mutation wrote, as its transaction wrote them: its payload shows them without reading
// them again when the fields asked for need only their columns (state, dates, holder: the holder
// comes from its own loader) and, for an assignment, its license and its user, which the mutation
// knows too. Kept per request; a replay of an idempotent mutation did not write, so it finds
// nothing here and reads, as before.
import { Prisma, type Assignment, type License, type User } from '@school-licenses/db';
import type { Context } from '../schema/context.ts';

interface Written {
  licenses: Map<string, License>;
  assignments: Map<string, Assignment>;
  users: Map<string, User>;
}

const writtenByRequest = new WeakMap<Context, Written>();

function writtenOf(ctx: Context): Written {
  let written = writtenByRequest.get(ctx);
  if (!written) writtenByRequest.set(ctx, (written = { licenses: new Map(), assignments: new Map(), users: new Map() }));
  return written;
}

/** Remembers a license row as the mutation's transaction wrote it (every column). */
export function rememberWrittenLicense(ctx: Context, license: License): void {
  writtenOf(ctx).licenses.set(license.id, license);
}

/** Remembers an assignment as written, with its license and its user (every column of each). */
export function rememberWrittenAssignment(ctx: Context, assignment: Assignment, license: License, user: User): void {
  const written = writtenOf(ctx);
  written.assignments.set(assignment.id, assignment);
  written.licenses.set(license.id, license);
  written.users.set(user.id, user);
}

/** What Pothos asks of a model: a select or an include, each field `true` or a nested query. */
type Query = { select?: Record<string, unknown>; include?: Record<string, unknown> };

/** Whether the query asks for nothing but these columns (`select: true`, or a select or include of columns only). */
function onlyColumns(query: unknown, columns: Record<string, string>): boolean {
  if (query === true) return true;
  if (typeof query !== 'object' || query === null) return false;
  const { select, include, ...rest } = query as Query;
  return Object.keys(rest).length === 0 && Object.keys(include ?? {}).length === 0 && Object.keys(select ?? {}).every((name) => name in columns);
}

/** The license as written, when Pothos' query for it selects nothing but its columns; undefined otherwise. */
export function writtenLicense(ctx: Context, id: string, query: Query): License | undefined {
  return onlyColumns(query, Prisma.LicenseScalarFieldEnum) ? writtenByRequest.get(ctx)?.licenses.get(id) : undefined;
}

/**
 * The assignment as written, with its license and user as Prisma would return them, when Pothos'
 * query asks for nothing but their columns; undefined otherwise (a relation of theirs, say).
 */
export function writtenAssignment(ctx: Context, id: string, { select, include }: Query): (Assignment & { license: License; user: User }) | undefined {
  const written = writtenByRequest.get(ctx);
  const assignment = written?.assignments.get(id);
  if (!written || !assignment) return undefined;
  const license = written.licenses.get(assignment.licenseId);
  const user = written.users.get(assignment.userId);
  if (!license || !user) return undefined;
  const relations = { license: Prisma.LicenseScalarFieldEnum, user: Prisma.UserScalarFieldEnum } as const;
  const fieldsAnswered = Object.entries({ ...include, ...select }).every(([name, query]) =>
    name in relations ? onlyColumns(query, relations[name as keyof typeof relations]) : name in Prisma.AssignmentScalarFieldEnum,
  );
  return fieldsAnswered ? { ...assignment, license, user } : undefined;
}
