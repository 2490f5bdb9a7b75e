/** What the SDK reads of a connection's page: its edges and where it stands. */
export interface Connection<Node> {
  edges: ReadonlyArray<{ node: Node; cursor?: string }>;
  pageInfo: { hasNextPage: boolean; endCursor?: string | null };
  /** How many items the list has in all (when the connection has it). */
  totalCount?: number;
}

/** Variables of a paged document: it must take `$after` (and usually `$first`). */
export interface PageVariables {
  after?: string | null;
  first?: number | null;
}

/** Options of the paging helpers. */
export interface PageOptions {
  /** Items per page (the API allows 1 to 100; default 50). */
  pageSize?: number;
}

export const DEFAULT_PAGE_SIZE = 50;

/**
 * Walks a connection page by page: `fetchPage(after)` fetches one page, starting with `after`
 * null. Stops after the page whose `hasNextPage` is false, or when the connection is absent.
 */
export async function* walkPages<Node>(
  fetchPage: (after: string | null) => Promise<Connection<Node> | null | undefined>,
): AsyncGenerator<Connection<Node>, void, undefined> {
  let after: string | null = null;
  for (;;) {
    const page = await fetchPage(after);
    if (!page) return;
    yield page;
    if (!page.pageInfo.hasNextPage) return;
    const next = page.pageInfo.endCursor ?? null;
    if (next === null || next === after) {
      throw new Error('the API said there is a next page but gave no new cursor');
    }
    after = next;
  }
}
