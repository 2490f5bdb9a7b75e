// The licenses a mutation wrote, as its transaction wrote them: its payload shows them without
// reading them again when the fields asked for need only their columns (state, dates, holder:
// the holder comes from its own loader). Kept per request; a replay of an idempotent mutation
// did not write, so it finds nothing here and reads, as before.
import { Prisma, type License } from '@school-licenses/db';
import type { Context } from '../schema/context.ts';

const writtenByRequest = new WeakMap<Context, Map<string, License>>();

/** Remembers a license row as the mutation's transaction wrote it (every column). */
export function rememberWrittenLicense(ctx: Context, license: License): void {
  let written = writtenByRequest.get(ctx);
  if (!written) writtenByRequest.set(ctx, (written = new Map()));
  written.set(license.id, license);
}

type LicenseQuery = { select?: Prisma.LicenseSelect; include?: Prisma.LicenseInclude };

/** The license as written, when Pothos' query for it selects nothing but its columns; undefined otherwise. */
export function writtenLicense(ctx: Context, id: string, { select, include }: LicenseQuery): License | undefined {
  const onlyColumns = Object.keys(include ?? {}).length === 0 && Object.keys(select ?? {}).every((name) => name in Prisma.LicenseScalarFieldEnum);
  return onlyColumns ? writtenByRequest.get(ctx)?.get(id) : undefined;
}
