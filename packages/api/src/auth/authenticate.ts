// `Authorization: Bearer <token>`: an API key of an integration or supplier (stored hashed), or a
// user's JWT, verified with a shared secret (HS256) or an identity provider's JWKS.
import { createHash, randomBytes } from 'node:crypto';
import { Prisma, type ApiCredential, type ApiCredentialKind, type SchoolRole } from '@school-licenses/db';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, SignJWT, type JWTVerifyGetKey } from 'jose';
import { LRUCache } from 'lru-cache';
import type { Clock } from '../clock.ts';
import type { Actor, Tx } from '../domain/actor.ts';
import { parseJson, readRows, type Reads } from '../domain/sql.ts';

export interface AuthConfig {
  /** HS256 secret for user tokens (at least 32 characters). */
  jwtSecret?: string | undefined;
  /** Or the JWKS URL of the identity provider that signs user tokens (RS256 or ES256). */
  jwksUrl?: string | undefined;
  /** Expected `iss` and `aud` claims. */
  issuer?: string | undefined;
  audience?: string | undefined;
  /** Refuse user tokens without `exp` (default true): a token that never expires is a password. */
  requireExp?: boolean | undefined;
}

export const API_KEY_PREFIX = 'slk_';

/** Why a presented credential was refused; answered as 401. */
export class AuthenticationError extends Error {
  override name = 'AuthenticationError';
}

/** The identity provider's keys (JWKS) could not be had: not the token's fault; answered as 503. */
export class AuthenticationUnavailableError extends Error {
  override name = 'AuthenticationUnavailableError';
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/**
 * Who a request's credential is. A user token or API key seen before comes with the actor its
 * last request read, not read again before the request: `check` says it still has to be
 * confirmed, by a read that selects the credential's row with its own (folded reads, `rowSql`) or
 * by one statement after a query's execution, before its answer is sent (useConfirmedActor in
 * yoga.ts).
 */
export interface Authentication {
  actor: Actor | null;
  check?: ActorCheck;
}

/** How a credential's actor is read: one statement whose columns are named `<prefix><name>`, and the actor of its row. */
export interface ActorRow {
  rowSql(prefix: string): Prisma.Sql;
  /** Throws the refusal (AuthenticationError) when the row grants nothing any more, or is missing (undefined). */
  actorOf(row: Record<string, unknown> | undefined, prefix: string): Actor;
}

/** A remembered actor on its way to being confirmed (or found changed) during one request. */
export interface ActorCheck extends ActorRow {
  /** unconfirmed: not yet read in this request; confirmed: read equal; changed: read different (or gone: `fresh` null). */
  state: 'unconfirmed' | 'confirmed' | 'changed';
  fresh?: Actor | null;
  /** The refusal when the user is gone or has left, or the key was revoked. */
  refusal?: string;
  /**
   * Keeps the actor read for the credential's next request; null forgets it once the credential is
   * refused, so its next requests are refused before they execute.
   */
  remember: (actor: Actor | null) => void;
}

export type Authenticate = (authorization: string | null) => Promise<Authentication>;

/** `reads`: where the credential's row is read at each request, outside a transaction (Database.sql). */
export function createAuthenticator(config: AuthConfig, reads: Reads, clock: Clock): Authenticate {
  const verifyJwt = createJwtVerifier(config, clock);
  // An LMS sends its key with every launch check: the key's actor as its last request read it, by
  // the key's hash, to be confirmed in the request's own statement as a user token's is.
  const knownKeys = new LRUCache<string, Actor>({ max: VERIFIED_TOKENS });
  return async (authorization) => {
    if (!authorization) return { actor: null };
    const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
    if (!match) throw new AuthenticationError('The Authorization header must be "Bearer <token>".');
    const token = match[1]!;
    if (token.startsWith(API_KEY_PREFIX)) {
      const keyHash = hashApiKey(token);
      const row = apiKeyRow(keyHash);
      const remember = (actor: Actor | null) => void (actor ? knownKeys.set(keyHash, actor) : knownKeys.delete(keyHash));
      const known = knownKeys.get(keyHash);
      if (known) return { actor: known, check: { ...row, state: 'unconfirmed', remember } };
      const actor = await readActor(reads, row);
      remember(actor);
      return { actor };
    }
    const verified = await verifyJwt(token);
    const { userId, expiresAt } = verified;
    const remember = (actor: Actor | null) => {
      if (!actor) delete verified.actor;
      else if (expiresAt && actor.kind === 'user') verified.actor = { ...actor, expiresAt };
    };
    if (verified.actor) return { actor: verified.actor, check: { ...userRow(userId), state: 'unconfirmed', remember } };
    const actor = await userActor(reads, userId);
    const withExpiry = expiresAt ? { ...actor, expiresAt } : actor;
    remember(withExpiry);
    return { actor: withExpiry };
  };
}

/** The actor of a credential's row, read now: the refusal (AuthenticationError) when it grants nothing. */
export async function readActor(reads: Reads, source: ActorRow): Promise<Actor> {
  const [row] = await readRows<Record<string, unknown>>(reads, source.rowSql(''));
  return source.actorOf(row, '');
}

// The actors are read with one raw statement each, which the authenticator runs on the driver
// itself at every request (Database.sql), not through Prisma's query interpreter.

/** The actor of an API key, by the key's hash. */
export function apiKeyActor(reads: Reads, key: string): Promise<Actor> {
  return readActor(reads, apiKeyRow(hashApiKey(key)));
}

/** An API key's row, by the key's hash: the credential and its organisation's zone. */
function apiKeyRow(keyHash: string): ActorRow {
  return {
    rowSql: (prefix) => {
      const as = (name: string) => Prisma.raw(`"${prefix}${name}"`);
      return Prisma.sql`SELECT c.id::text AS ${as('id')}, c.name AS ${as('name')}, c.kind::text AS ${as('kind')}, c."organisationId"::text AS ${as('organisationId')},
          c."supplierId"::text AS ${as('supplierId')}, c."revokedAt" IS NOT NULL AS ${as('revoked')}, o."timeZone" AS ${as('timeZone')}
        FROM "ApiCredential" c LEFT JOIN "Organisation" o ON o.id = c."organisationId"
        WHERE c."keyHash" = ${keyHash}`;
    },
    actorOf: readApiKeyActor,
  };
}

/** The actor of a row an API key's rowSql selected (with the same prefix); throws the refusal for a key unknown or revoked. */
function readApiKeyActor(row: Record<string, unknown> | undefined, prefix: string): Actor {
  const column = (name: string) => row?.[`${prefix}${name}`] as string | null | undefined;
  const id = column('id');
  if (!id || row?.[`${prefix}revoked`]) throw new AuthenticationError('Unknown or revoked API key.');
  const kind = column('kind') as ApiCredentialKind;
  const label = column('name');
  const supplierId = column('supplierId');
  if (kind === 'SUPPLIER' && supplierId) return { kind: 'supplier', credentialId: id, supplierId, label: `supplier key ${label}` };
  const organisationId = column('organisationId');
  const timeZone = column('timeZone');
  if (!organisationId || timeZone == null) throw new AuthenticationError('The API key has no organisation.');
  return { kind: 'integration', credentialId: id, organisationId, canWrite: kind === 'ORGANISATION_READ_WRITE', timeZone, label: `API key ${label}` };
}

/**
 * The statement that reads a user's actor: the user, their organisation's zone and their current
 * roles, with every column named `<prefix><name>` (readUserActor reads them back): on its own
 * (userActor), or as the first part of a read that confirms a remembered actor in its own
 * statement (readSchoolProducts).
 */
export function userActorSql(userId: string, prefix = ''): Prisma.Sql {
  const as = (name: string) => Prisma.raw(`"${prefix}${name}"`);
  return Prisma.sql`SELECT u.id::text AS ${as('id')}, u."organisationId"::text AS ${as('organisationId')}, u."isOrganisationAdmin" AS ${as('isOrganisationAdmin')},
      u.name AS ${as('name')}, u."endedAt" IS NOT NULL AS ${as('left')}, o."timeZone" AS ${as('timeZone')},
      coalesce((SELECT json_agg(json_build_array(m."schoolId", m.role) ORDER BY m."schoolId") FROM "SchoolMembership" m
        WHERE m."userId" = u.id AND m."endedAt" IS NULL), '[]'::json) AS ${as('memberships')}
    FROM "User" u JOIN "Organisation" o ON o.id = u."organisationId"
    WHERE u.id = ${userId}::uuid`;
}

/** A user id as userActorSql takes it; anything else names no user. */
export const isUserId = (userId: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(userId);

/** The actor of a row userActorSql selected (with the same prefix); throws the refusal for a user who is gone or left. */
export function readUserActor(row: Record<string, unknown> | undefined, prefix = ''): Actor {
  if (!row || row[`${prefix}id`] == null) throw new AuthenticationError('The token names no known user.');
  // A user who left the organisation signs in no more; ended memberships give no role.
  if (row[`${prefix}left`]) throw new AuthenticationError('The user has left the organisation.');
  return {
    kind: 'user',
    userId: row[`${prefix}id`] as string,
    organisationId: row[`${prefix}organisationId`] as string,
    isOrganisationAdmin: row[`${prefix}isOrganisationAdmin`] as boolean,
    schoolRoles: new Map(parseJson<[string, SchoolRole][]>(row[`${prefix}memberships`]) ?? []),
    timeZone: row[`${prefix}timeZone`] as string,
    label: row[`${prefix}name`] as string,
  };
}

/** The actor of a user id: the user with their role in each school. Null-safe for deleted users. */
export async function userActor(reads: Reads, userId: string): Promise<Actor> {
  return isUserId(userId) ? readActor(reads, userRow(userId)) : readUserActor(undefined);
}

/** A user's row (userActorSql), by their id. */
function userRow(userId: string): ActorRow {
  return { rowSql: (prefix) => userActorSql(userId, prefix), actorOf: readUserActor };
}

/**
 * Whether two actors grant the same: for users the same user, organisation, zone, name and roles
 * (the token's expiry aside); for keys the same credential, kind, organisation or supplier, zone and name.
 */
export function sameActor(a: Actor, b: Actor): boolean {
  if (a.kind === 'user' && b.kind === 'user') {
    if (a.userId !== b.userId || a.organisationId !== b.organisationId || a.isOrganisationAdmin !== b.isOrganisationAdmin) return false;
    if (a.timeZone !== b.timeZone || a.label !== b.label || a.schoolRoles.size !== b.schoolRoles.size) return false;
    for (const [school, role] of a.schoolRoles) if (b.schoolRoles.get(school) !== role) return false;
    return true;
  }
  if (a.kind === 'integration' && b.kind === 'integration') {
    return (
      a.credentialId === b.credentialId &&
      a.organisationId === b.organisationId &&
      a.canWrite === b.canWrite &&
      a.timeZone === b.timeZone &&
      a.label === b.label
    );
  }
  if (a.kind === 'supplier' && b.kind === 'supplier') return a.credentialId === b.credentialId && a.supplierId === b.supplierId && a.label === b.label;
  return false;
}

/**
 * Settles a request's remembered actor with its row as a statement of the request read it (a
 * row the check's rowSql selected, with `prefix`; undefined when the user or key is gone).
 */
export function settleActor(check: ActorCheck, row: Record<string, unknown> | undefined, remembered: Actor, prefix = ''): void {
  let fresh: Actor;
  try {
    fresh = check.actorOf(row, prefix);
  } catch (error) {
    if (!(error instanceof AuthenticationError)) throw error;
    check.state = 'changed';
    check.fresh = null;
    check.refusal = error.message;
    return;
  }
  if (sameActor(fresh, remembered)) {
    if (check.state === 'unconfirmed') check.state = 'confirmed';
    return;
  }
  check.state = 'changed';
  check.fresh = fresh;
}

interface VerifiedToken {
  userId: string;
  expiresAt: Date | undefined;
  /** The actor the token's last request read (only for tokens that expire). */
  actor?: Actor;
}

/** How many verified tokens, and how many API keys' actors, are remembered (about 1 kB each): more than the users active within a token's life on one instance. */
export const VERIFIED_TOKENS = 10_000;

/**
 * Verifies a user token once, then remembers its claims until its `exp` by the clock: a client
 * sends the same token with every request, and checking its signature each time was a seventh of
 * the CPU of a small read (BENCHMARKS.md, "Small reads"). Only tokens that expire are remembered,
 * and only valid ones; the user's row is still read at every request (userActor), so a user who
 * leaves or changes role is seen at once. A key the identity provider withdraws keeps its tokens
 * valid here until they expire, as it would for any service that checked them once.
 */
function createJwtVerifier(config: AuthConfig, clock: Clock): (token: string) => Promise<VerifiedToken> {
  const verify = createUncachedJwtVerifier(config, clock);
  const verified = new LRUCache<string, VerifiedToken>({ max: VERIFIED_TOKENS });
  return async (token) => {
    const known = verified.get(token);
    if (known?.expiresAt && known.expiresAt.getTime() > clock.now().getTime()) return known;
    const claims = await verify(token);
    if (claims.expiresAt) verified.set(token, claims);
    return claims;
  };
}

function createUncachedJwtVerifier(config: AuthConfig, clock: Clock): (token: string) => Promise<VerifiedToken> {
  let key: Promise<CryptoKey> | JWTVerifyGetKey | undefined;
  let algorithms: string[] = [];
  if (config.jwksUrl) {
    key = createRemoteJWKSet(new URL(config.jwksUrl));
    algorithms = ['RS256', 'ES256'];
  } else if (config.jwtSecret) {
    key = hmacKey(config.jwtSecret);
    algorithms = ['HS256'];
  }
  return async (token) => {
    if (!key) throw new AuthenticationError('This server accepts no user tokens (no JWT secret or JWKS configured).');
    try {
      const { payload } = await jwtVerify(token, typeof key === 'function' ? key : await key, {
        algorithms,
        issuer: config.issuer,
        audience: config.audience,
        currentDate: clock.now(),
        requiredClaims: config.requireExp === false ? [] : ['exp'],
      });
      if (!payload.sub) throw new AuthenticationError('The token has no subject.');
      return { userId: payload.sub, expiresAt: payload.exp === undefined ? undefined : new Date(payload.exp * 1000) };
    } catch (error) {
      if (error instanceof AuthenticationError) throw error;
      if (error instanceof joseErrors.JWTExpired) throw new AuthenticationError('The token has expired.');
      if (error instanceof joseErrors.JWTClaimValidationFailed && error.claim === 'exp') throw new AuthenticationError('The token has no expiry (exp).');
      if (isJwksOutage(error)) throw new AuthenticationUnavailableError('The identity provider cannot be reached to check the token.');
      throw new AuthenticationError('The token is not valid.');
    }
  };
}

/** No keys to check with: the JWKS could not be fetched, timed out, or was not a key set. */
function isJwksOutage(error: unknown): boolean {
  if (error instanceof joseErrors.JWKSTimeout || error instanceof joseErrors.JWKSInvalid) return true;
  // fetch's own failure (connection refused, DNS), or a response that was not 200.
  if (error instanceof TypeError) return true;
  return error instanceof joseErrors.JOSEError && error.code === 'ERR_JOSE_GENERIC' && /JSON Web Key Set/.test(error.message);
}

/**
 * The shared secret as a CryptoKey, imported once. Given the raw bytes, jose imports a key at every
 * verification: twice the CPU, and native key objects that make each young-generation GC several
 * times slower (BENCHMARKS.md).
 */
export function hmacKey(secret: string): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
}

/** Signs a user token with the shared secret: for the demo, tests and development only. */
export async function signUserToken(
  config: AuthConfig,
  userId: string,
  { now = new Date(), expiresInSeconds = 30 * 86_400 }: { now?: Date; expiresInSeconds?: number } = {},
): Promise<string> {
  if (!config.jwtSecret) throw new Error('signing user tokens needs a JWT secret');
  const issuedAt = Math.floor(now.getTime() / 1000);
  let jwt = new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(userId)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + expiresInSeconds);
  if (config.issuer) jwt = jwt.setIssuer(config.issuer);
  if (config.audience) jwt = jwt.setAudience(config.audience);
  return jwt.sign(new TextEncoder().encode(config.jwtSecret));
}

/** Creates an API key. The key is returned once; only its hash is stored. */
export async function createApiKey(
  prisma: Tx,
  clock: Clock,
  input: { name: string; kind: ApiCredentialKind; organisationId?: string | null; supplierId?: string | null },
): Promise<{ key: string; id: string; credential: ApiCredential }> {
  const key = `${API_KEY_PREFIX}${randomBytes(24).toString('base64url')}`;
  const credential = await prisma.apiCredential.create({
    data: {
      name: input.name,
      kind: input.kind,
      organisationId: input.kind === 'SUPPLIER' ? null : (input.organisationId ?? null),
      supplierId: input.kind === 'SUPPLIER' ? (input.supplierId ?? null) : null,
      keyHash: hashApiKey(key),
      createdAt: clock.now(),
    },
  });
  return { key, id: credential.id, credential };
}
