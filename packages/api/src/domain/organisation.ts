// An organisation's own settings, changed by its administrators (and read-write integrations).
import type { GraduateLicensePolicy, Organisation } from '@school-licenses/db';
import { requireManagedOrganisation, type Actor, type Tx } from './actor.ts';
import { recordAudit } from './audit.ts';
import { LicenseError } from './errors.ts';
import type { Written } from './roster.ts';

export interface OrganisationSettings {
  /** What a roster import does to graduates' licenses (graduatesKeepLicenses, roster.ts). */
  graduateLicensePolicy?: GraduateLicensePolicy;
}

export async function updateOrganisation(
  tx: Tx,
  now: Date,
  actor: Actor,
  input: OrganisationSettings & { organisationId: string },
): Promise<Written<Organisation>> {
  // Another organisation's answers NOT_FOUND, as if it did not exist, like every read of it.
  const organisation = await tx.organisation.findUnique({ where: { id: input.organisationId } });
  const own = actor.kind === 'system' || ('organisationId' in actor && actor.organisationId === organisation?.id);
  if (!organisation || !own) throw new LicenseError('NOT_FOUND', 'organisation', 'No such organisation.');
  requireManagedOrganisation(actor, organisation.id, 'organisation');
  const changed = input.graduateLicensePolicy !== undefined && input.graduateLicensePolicy !== organisation.graduateLicensePolicy;
  if (!changed) return { record: organisation, change: 'unchanged' };
  const record = await tx.organisation.update({ where: { id: organisation.id }, data: { graduateLicensePolicy: input.graduateLicensePolicy } });
  await recordAudit(tx, actor, now, {
    action: 'ORGANISATION_UPDATED',
    organisationId: organisation.id,
    before: { graduateLicensePolicy: organisation.graduateLicensePolicy },
    after: { graduateLicensePolicy: record.graduateLicensePolicy },
  });
  return { record, change: 'updated' };
}
