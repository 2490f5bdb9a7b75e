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

export type Authenticate = (authorization: string | null) => Promise<Actor | null>;

/** `reads`: where the credential's row is read at each request, outside a transaction (Database.sql). */
export function createAuthenticator(config: AuthConfig, reads: Reads, clock: Clock): Authenticate {
  const verifyJwt = createJwtVerifier(config, clock);
  return async (authorization) => {
    if (!authorization) return null;
    const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
    if (!match) throw new AuthenticationError('The Authorization header must be "Bearer <token>".');
    const token = match[1]!;
    if (token.startsWith(API_KEY_PREFIX)) return apiKeyActor(reads, token);
    const { userId, expiresAt } = await verifyJwt(token);
    const actor = await userActor(reads, userId);
    return expiresAt ? { ...actor, expiresAt } : actor;
  };
}

// The actors are read with one raw statement each, which the authenticator runs on the driver
// itself at every request (Database.sql), not through Prisma's query interpreter.

/** The actor of an API key, by the key's hash. */
export async function apiKeyActor(reads: Reads, key: string): Promise<Actor> {
  const [credential] = await readRows<{
    id: string;
    name: string;
    kind: ApiCredentialKind;
    organisationId: string | null;
    supplierId: string | null;
    revoked: boolean;
    timeZone: string | null;
  }>(
    reads,
    Prisma.sql`SELECT c.id::text AS id, c.name, c.kind::text AS kind, c."organisationId"::text AS "organisationId", c."supplierId"::text AS "supplierId",
        c."revokedAt" IS NOT NULL AS revoked, o."timeZone" AS "timeZone"
      FROM "ApiCredential" c LEFT JOIN "Organisation" o ON o.id = c."organisationId"
      WHERE c."keyHash" = ${hashApiKey(key)}`,
  );
  if (!credential || credential.revoked) throw new AuthenticationError('Unknown or revoked API key.');
  if (credential.kind === 'SUPPLIER' && credential.supplierId) {
    return { kind: 'supplier', credentialId: credential.id, supplierId: credential.supplierId, label: `supplier key ${credential.name}` };
  }
  if (!credential.organisationId || credential.timeZone === null) throw new AuthenticationError('The API key has no organisation.');
  return {
    kind: 'integration',
    credentialId: credential.id,
    organisationId: credential.organisationId,
    canWrite: credential.kind === 'ORGANISATION_READ_WRITE',
    timeZone: credential.timeZone,
    label: `API key ${credential.name}`,
  };
}

/** The actor of a user id: the user with their role in each school. Null-safe for deleted users. */
export async function userActor(reads: Reads, userId: string): Promise<Actor> {
  const [user] = /^[0-9a-f-]{36}$/i.test(userId)
    ? await readRows<{
        id: string;
        organisationId: string;
        isOrganisationAdmin: boolean;
        name: string;
        left: boolean;
        timeZone: string;
        memberships: [schoolId: string, role: SchoolRole][] | string;
      }>(
        reads,
        Prisma.sql`SELECT u.id::text AS id, u."organisationId"::text AS "organisationId", u."isOrganisationAdmin", u.name, u."endedAt" IS NOT NULL AS left,
            o."timeZone",
            coalesce((SELECT json_agg(json_build_array(m."schoolId", m.role)) FROM "SchoolMembership" m
              WHERE m."userId" = u.id AND m."endedAt" IS NULL), '[]'::json) AS memberships
          FROM "User" u JOIN "Organisation" o ON o.id = u."organisationId"
          WHERE u.id = ${userId}::uuid`,
      )
    : [];
  if (!user) throw new AuthenticationError('The token names no known user.');
  // A user who left the organisation signs in no more; ended memberships give no role.
  if (user.left) throw new AuthenticationError('The user has left the organisation.');
  return {
    kind: 'user',
    userId: user.id,
    organisationId: user.organisationId,
    isOrganisationAdmin: user.isOrganisationAdmin,
    schoolRoles: new Map(parseJson<[string, SchoolRole][]>(user.memberships) ?? []),
    timeZone: user.timeZone,
    label: user.name,
  };
}

interface VerifiedToken {
  userId: string;
  expiresAt: Date | undefined;
}

/** How many verified tokens are remembered (about 1 kB each): more than the users active within a token's life on one instance. */
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
