// Issuing and revoking API keys for integrations and suppliers. The key is shown once; only its
// hash is kept. A revoked key is refused at its next request, and its live subscriptions end.
import type { ApiCredential, ApiCredentialKind } from '@school-licenses/db';
import { createApiKey } from '../auth/authenticate.ts';
import type { Clock } from '../clock.ts';
import { CHANNELS } from '../events/relay.ts';
import { switchOffEndpointsOfRevokedKey } from '../events/webhooks.ts';
import { canManageApiKeys, organisationOf, systemActor, type Actor, type Tx } from './actor.ts';
import { recordAudit } from './audit.ts';
import { LicenseError } from './errors.ts';

export interface IssueApiKeyInput {
  name: string;
  kind: ApiCredentialKind;
  /** The organisation an ORGANISATION_READ or ORGANISATION_READ_WRITE key belongs to. */
  organisationId?: string | null;
  /** The supplier a SUPPLIER key delivers for. */
  supplierId?: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Creates the key; an organisation key is recorded in the organisation's audit log. The operator's
 * command issues any key; an organisation administrator only ORGANISATION_READ and
 * ORGANISATION_READ_WRITE keys of their own organisation.
 */
export async function issueApiKey(
  tx: Tx,
  clock: Clock,
  input: IssueApiKeyInput,
  actor: Actor = systemActor,
): Promise<{ key: string; id: string; credential: ApiCredential; owner: string }> {
  if (actor.kind !== 'system') {
    // Another organisation's is not found, as everywhere: the answer does not reveal that it exists.
    if (!input.organisationId || organisationOf(actor) !== input.organisationId) {
      throw new LicenseError('NOT_FOUND', 'organisation', 'No such organisation.');
    }
    if (input.kind === 'SUPPLIER') throw new LicenseError('FORBIDDEN', 'kind', "Suppliers' keys are issued by the API's operator.");
    if (!canManageApiKeys(actor, input.organisationId))
      throw new LicenseError('FORBIDDEN', 'organisation', "Only the organisation's administrators issue its API keys.");
  }
  const name = input.name.trim();
  if (!name || name.length > 200) throw new LicenseError('INVALID_INPUT', 'name', 'Give the key a name of 1 to 200 characters.');
  if (input.kind === 'SUPPLIER') {
    if (input.organisationId) throw new LicenseError('INVALID_INPUT', 'organisation', 'A supplier key belongs to a supplier, not an organisation.');
    const supplier = input.supplierId && UUID.test(input.supplierId) ? await tx.supplier.findUnique({ where: { id: input.supplierId } }) : null;
    if (!supplier) throw new LicenseError('NOT_FOUND', 'supplier', `No supplier with ID ${input.supplierId ?? '(none given)'}.`);
    return { ...(await createApiKey(tx, clock, { name, kind: input.kind, supplierId: supplier.id })), owner: `supplier ${supplier.name}` };
  }
  if (input.supplierId) throw new LicenseError('INVALID_INPUT', 'supplier', 'An organisation key belongs to an organisation, not a supplier.');
  const organisation =
    input.organisationId && UUID.test(input.organisationId) ? await tx.organisation.findUnique({ where: { id: input.organisationId } }) : null;
  if (!organisation) throw new LicenseError('NOT_FOUND', 'organisation', `No organisation with ID ${input.organisationId ?? '(none given)'}.`);
  const created = await createApiKey(tx, clock, { name, kind: input.kind, organisationId: organisation.id });
  // Who can read or change an organisation's licenses is itself a change worth recording.
  await recordAudit(tx, actor, clock.now(), {
    action: 'API_CREDENTIAL_CREATED',
    organisationId: organisation.id,
    after: { credentialId: created.id, name, kind: input.kind },
  });
  return { ...created, owner: `organisation ${organisation.name}` };
}

/**
 * Revokes a key: from this commit on it is refused, and every instance ends its live subscriptions
 * (the NOTIFY is sent on commit). Revoking a revoked key changes nothing (`revokedNow` false). A key
 * the actor may not manage is NOT_FOUND, so the answer does not reveal another organisation's keys.
 */
export async function revokeApiKey(
  tx: Tx,
  clock: Clock,
  actor: Actor,
  input: { credentialId: string },
): Promise<{ credential: ApiCredential; revokedNow: boolean }> {
  const credential = UUID.test(input.credentialId) ? await tx.apiCredential.findUnique({ where: { id: input.credentialId } }) : null;
  const manageable = credential && (actor.kind === 'system' || (credential.organisationId !== null && canManageApiKeys(actor, credential.organisationId)));
  if (!credential || !manageable) throw new LicenseError('NOT_FOUND', 'apiKey', 'No such API key.');
  if (credential.revokedAt) return { credential, revokedNow: false };
  const now = clock.now();
  // Conditional, so that of two revocations at once only one records it.
  const revoked = await tx.apiCredential.updateManyAndReturn({ where: { id: credential.id, revokedAt: null }, data: { revokedAt: now } });
  if (revoked.length === 0) return { credential: await tx.apiCredential.findUniqueOrThrow({ where: { id: credential.id } }), revokedNow: false };
  const webhookEndpointsSwitchedOff = await switchOffEndpointsOfRevokedKey(tx, credential.id, now);
  if (credential.organisationId) {
    await recordAudit(tx, actor, now, {
      action: 'API_CREDENTIAL_REVOKED',
      organisationId: credential.organisationId,
      before: { credentialId: credential.id, name: credential.name, kind: credential.kind },
      after: { webhookEndpointsSwitchedOff },
    });
  }
  await tx.$executeRaw`SELECT pg_notify(${CHANNELS.credentialRevoked}, ${credential.id})`;
  return { credential: revoked[0]!, revokedNow: true };
}
