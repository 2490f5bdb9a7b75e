// Issuing API keys for integrations and suppliers. The key is shown once; only its hash is kept.
import type { ApiCredentialKind } from '@school-licenses/db';
import { createApiKey } from '../auth/authenticate.ts';
import type { Clock } from '../clock.ts';
import { systemActor, type Tx } from './actor.ts';
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

/** Creates the key; an organisation key is recorded in the organisation's audit log. */
export async function issueApiKey(tx: Tx, clock: Clock, input: IssueApiKeyInput): Promise<{ key: string; id: string; owner: string }> {
  const name = input.name.trim();
  if (!name || name.length > 200) throw new LicenseError('INVALID_INPUT', 'name', 'Give the key a name of 1 to 200 characters.');
  if (input.kind === 'SUPPLIER') {
    if (input.organisationId) throw new LicenseError('INVALID_INPUT', 'organisation', 'A supplier key belongs to a supplier, not an organisation.');
    const supplier = input.supplierId && UUID.test(input.supplierId) ? await tx.supplier.findUnique({ where: { id: input.supplierId } }) : null;
    if (!supplier) throw new LicenseError('NOT_FOUND', 'supplier', `No supplier with ID ${input.supplierId ?? '(none given)'}.`);
    const { key, id } = await createApiKey(tx, clock, { name, kind: input.kind, supplierId: supplier.id });
    return { key, id, owner: `supplier ${supplier.name}` };
  }
  if (input.supplierId) throw new LicenseError('INVALID_INPUT', 'supplier', 'An organisation key belongs to an organisation, not a supplier.');
  const organisation =
    input.organisationId && UUID.test(input.organisationId) ? await tx.organisation.findUnique({ where: { id: input.organisationId } }) : null;
  if (!organisation) throw new LicenseError('NOT_FOUND', 'organisation', `No organisation with ID ${input.organisationId ?? '(none given)'}.`);
  const { key, id } = await createApiKey(tx, clock, { name, kind: input.kind, organisationId: organisation.id });
  // Who can read or change an organisation's licenses is itself a change worth recording.
  await recordAudit(tx, systemActor, clock.now(), {
    action: 'API_CREDENTIAL_CREATED',
    organisationId: organisation.id,
    after: { credentialId: id, name, kind: input.kind },
  });
  return { key, id, owner: `organisation ${organisation.name}` };
}
