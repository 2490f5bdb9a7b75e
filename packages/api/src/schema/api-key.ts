// An organisation's API keys for its integrations (LMS, SIS): issued and revoked by its
// administrators (domain/api-credentials.ts). Suppliers' keys are the operator's (the CLI).
import { ApiCredentialKind, type ApiCredential } from '@school-licenses/db';
import { visibleApiKeys } from '../domain/actor.ts';
import { issueApiKey, revokeApiKey } from '../domain/api-credentials.ts';
import { builder } from './builder.ts';
import { licenseErrors } from './errors.ts';
import { OrganisationRef } from './organisation.ts';
import { actorOf, runDomain } from './run.ts';

const ApiKeyKindEnum = builder.enumType(ApiCredentialKind, {
  name: 'ApiKeyKind',
  description:
    "ORGANISATION_READ: reads the organisation's schools, licenses, orders and events; ORGANISATION_READ_WRITE: also assigns, revokes, orders and keeps the roster; SUPPLIER: delivers a supplier's orders (issued by the operator).",
});

export const ApiKeyRef = builder.prismaNode('ApiCredential', {
  variant: 'ApiKey',
  description: 'An API key an integration sends as `Authorization: Bearer <key>`. The key itself is shown only when it is created.',
  id: { field: 'id' },
  nullable: true,
  findUnique: (id, ctx) => ({ id, AND: [visibleApiKeys(actorOf(ctx))] }),
  authScopes: { authenticated: true },
  fields: (t) => ({
    name: t.exposeString('name', { description: 'What the key is for, e.g. "Our LMS".' }),
    kind: t.expose('kind', { type: ApiKeyKindEnum, description: 'What the key may do.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was issued.' }),
    revokedAt: t.expose('revokedAt', { type: 'DateTime', nullable: true, description: 'When it was revoked: refused from then on.' }),
  }),
});

builder.prismaObjectField(OrganisationRef, 'apiKeys', (t) =>
  t.relatedConnection('apiCredentials', {
    type: ApiKeyRef,
    cursor: 'id',
    description: "The organisation's API keys, newest first (its administrators only; anyone else sees none).",
    args: { includeRevoked: t.arg.boolean({ required: false, defaultValue: false, description: 'Revoked keys too.' }) },
    query: (args, ctx) => ({
      where: { AND: [visibleApiKeys(actorOf(ctx)), args.includeRevoked ? {} : { revokedAt: null }] },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    }),
  }),
);

const CreateApiKeyInput = builder.inputType('CreateApiKeyInput', {
  description: "A key for one of the organisation's integrations.",
  fields: (t) => ({
    organisation: t.globalID({ for: OrganisationRef, required: true, description: 'The organisation.' }),
    name: t.string({ required: true, description: 'What it is for, 1 to 200 characters.' }),
    kind: t.field({ type: ApiKeyKindEnum, required: true, description: 'ORGANISATION_READ or ORGANISATION_READ_WRITE.' }),
  }),
});

const CreateApiKeyPayload = builder.objectRef<{ credential: ApiCredential; key: string }>('CreateApiKeyPayload').implement({
  description: 'The new key.',
  fields: (t) => ({
    apiKey: t.field({ type: ApiKeyRef, nullable: false, description: 'The key as listed.', resolve: (p) => p.credential }),
    key: t.string({ description: 'The key, shown only now: store it as a secret. Only its hash is kept.', resolve: (p) => p.key }),
  }),
});

const RevokeApiKeyInput = builder.inputType('RevokeApiKeyInput', {
  description: 'A key to revoke.',
  fields: (t) => ({ apiKey: t.globalID({ for: ApiKeyRef, required: true, description: 'The key.' }) }),
});

const RevokeApiKeyPayload = builder.objectRef<{ credential: ApiCredential }>('RevokeApiKeyPayload').implement({
  description: 'The revoked key.',
  fields: (t) => ({ apiKey: t.field({ type: ApiKeyRef, nullable: false, description: 'The key, with its revokedAt.', resolve: (p) => p.credential }) }),
});

builder.mutationFields((t) => ({
  createApiKey: t.field({
    type: CreateApiKeyPayload,
    description:
      "Issues an API key for one of the organisation's integrations (its administrators only; not integrations). Not idempotent: the key is shown once and never stored.",
    errors: { types: licenseErrors },
    args: { input: t.arg({ type: CreateApiKeyInput, required: true, description: 'What to do.' }) },
    resolve: (_root, { input }, ctx) =>
      runDomain(ctx, (tx, clock, actor) => issueApiKey(tx, clock, { name: input.name, kind: input.kind, organisationId: input.organisation.id }, actor)),
  }),
  revokeApiKey: t.field({
    type: RevokeApiKeyPayload,
    description:
      "Revokes one of the organisation's API keys (its administrators only): every later request with it is refused, and its live subscriptions end with CREDENTIAL_REVOKED. Revoking a revoked key changes nothing.",
    errors: { types: licenseErrors },
    args: { input: t.arg({ type: RevokeApiKeyInput, required: true, description: 'What to do.' }) },
    resolve: (_root, { input }, ctx) => runDomain(ctx, (tx, clock, actor) => revokeApiKey(tx, clock, actor, { credentialId: input.apiKey.id })),
  }),
}));
