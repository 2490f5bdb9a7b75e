// What became of one operation, as one word a table of expectations can hold.
import type { GraphQLResponse } from './harness.ts';

/**
 * `unauthenticated` and `denied` (FORBIDDEN) are top-level errors; a business error is its typed
 * `code`; `ok` is a payload. Any other top-level error is returned as `error:<code>: <message>`.
 */
export function outcomeOf(response: GraphQLResponse, field: string): string {
  const error = response.errors?.[0];
  if (error) {
    const code = error.extensions?.code;
    if (code === 'UNAUTHENTICATED') return 'unauthenticated';
    if (code === 'FORBIDDEN') return 'denied';
    return `error:${code}: ${error.message}`;
  }
  const value = response.data?.[field];
  if (value && typeof value === 'object' && 'code' in value) return String(value.code);
  return value ? 'ok' : 'null';
}
