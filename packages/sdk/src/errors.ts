import { CombinedError } from '@urql/core';

/** Why a request failed outside the API's business rules (those come back as typed results). */
export type LicenseApiErrorKind =
  /** The API could not be reached, or did not answer with GraphQL (retried before this is thrown). */
  | 'network'
  /** The API answered with GraphQL errors: e.g. `UNAUTHENTICATED`, a refused persisted operation, a bad request. */
  | 'graphql'
  /** The API answered without data, or without the object asked for. */
  | 'no-data';

/** One GraphQL error as the API sent it. */
export interface LicenseApiGraphQLError {
  message: string;
  /** `extensions.code`, e.g. `UNAUTHENTICATED`, `PERSISTED_QUERY_NOT_IN_LIST`, `GRAPHQL_VALIDATION_FAILED`. */
  code: string | undefined;
  /** `extensions.field`: the input field an `INVALID_INPUT` refused before any resolver ran (e.g. `endDate`). */
  field: string | undefined;
  path: ReadonlyArray<string | number> | undefined;
}

/**
 * Thrown by the client when a request fails as a whole: the network, authentication, a refused
 * persisted operation or an invalid document. Business errors (such as `END_DATE_REQUIRED`) are
 * never thrown: the helpers return them as typed results.
 */
export class LicenseApiError extends Error {
  override name = 'LicenseApiError';
  /** What kind of failure this is. */
  readonly kind: LicenseApiErrorKind;
  /** The first GraphQL error's `extensions.code`, when there is one (e.g. `UNAUTHENTICATED`). */
  readonly code: string | undefined;
  /** The GraphQL errors, when the API sent any. */
  readonly graphQLErrors: readonly LicenseApiGraphQLError[];
  /** The HTTP status, when a response arrived. */
  readonly status: number | undefined;

  constructor(message: string, details: { kind: LicenseApiErrorKind; graphQLErrors?: readonly LicenseApiGraphQLError[]; status?: number; cause?: unknown }) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.kind = details.kind;
    this.graphQLErrors = details.graphQLErrors ?? [];
    this.code = this.graphQLErrors[0]?.code;
    this.status = details.status;
  }

  /** @internal Builds the error from urql's CombinedError. */
  static fromCombinedError(error: CombinedError): LicenseApiError {
    // A subscription's refusal, already read by fromRefusedStream.
    if (error.networkError instanceof LicenseApiError) return error.networkError;
    // A query's response, or the one a subscription's network error carries (graphql-sse's NetworkError).
    const response = error.response ?? (error.networkError as { response?: unknown } | undefined)?.response;
    const status = (response as { status?: number } | undefined)?.status;
    if (error.networkError) {
      return new LicenseApiError(`network error: ${error.networkError.message}`, { kind: 'network', status, cause: error.networkError });
    }
    const graphQLErrors = error.graphQLErrors.map((e) => ({
      message: e.message,
      code: typeof e.extensions?.code === 'string' ? e.extensions.code : undefined,
      field: typeof e.extensions?.field === 'string' ? e.extensions.field : undefined,
      path: e.path ?? undefined,
    }));
    const summary = graphQLErrors.map((e) => (e.code ? `${e.code}: ${e.message}` : e.message)).join('; ');
    return new LicenseApiError(summary || error.message, { kind: 'graphql', graphQLErrors, status, cause: error });
  }

  /**
   * @internal A subscription refused before its stream began arrives as graphql-sse's
   * NetworkError holding the response (e.g. 401 with `UNAUTHENTICATED`, its errors in a `next`
   * event or a JSON body): those GraphQL errors make the same error as a query's, with the status.
   * Any other error is returned as it is.
   */
  static async fromRefusedStream(error: unknown): Promise<unknown> {
    const response = (error as { response?: unknown } | null | undefined)?.response as Response | undefined;
    if (typeof response?.status !== 'number' || typeof response.text !== 'function' || response.bodyUsed) return error;
    try {
      const text = await response.text();
      // Server-Sent Events: the data of the first `next` event; otherwise the body is JSON.
      const event = text
        .split(/\r?\n\r?\n/)
        .map((block) => block.split(/\r?\n/))
        .find((lines) => lines.includes('event: next') || lines.includes('event:next'));
      const json = event
        ? event
            .filter((line) => line.startsWith('data:'))
            .map((line) => line.slice(5).trimStart())
            .join('\n')
        : text;
      const body = JSON.parse(json) as { errors?: unknown } | null;
      if (Array.isArray(body?.errors) && body.errors.length > 0) {
        return LicenseApiError.fromCombinedError(new CombinedError({ graphQLErrors: body.errors, response }));
      }
    } catch {
      // Not GraphQL (e.g. a proxy's error page): the network error stands, with its status.
    }
    return error;
  }
}
