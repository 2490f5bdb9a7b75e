// Per-request batching, in the manner of DataLoader: every load asked for while one GraphQL
// request resolves a level of its result (the same tick, and the promise jobs after it) is
// answered by one call of `loadMany`. This is what keeps per-product fields of a list of
// products (availability, a page of licenses) at one SQL statement for all of them.
// Loaders live as long as the request's context object; nothing is shared between requests.

type Batch<Key, Value> = { key: Key; resolve: (value: Value) => void; reject: (error: unknown) => void }[];

export interface Loader<Key, Value> {
  load(key: Key): Promise<Value>;
  /** Stores a value found by another load, so a later `load` of that key sends nothing. */
  prime(key: Key, value: Value): void;
  /**
   * The value of a key already loaded (or primed), without a promise: resolvers that return it
   * directly spare graphql-js a promise per object on large pages. Undefined when not loaded.
   */
  peek(key: Key): Value | undefined;
}

const loadersByContext = new WeakMap<object, Map<string, Loader<never, unknown>>>();

/**
 * The loader `name` of this request. `keyOf` turns a key into a string (equal keys are loaded
 * once); `loadMany` gets the distinct keys of a batch and returns a value per key string.
 */
export function requestLoader<Key, Value>(
  context: object,
  name: string,
  keyOf: (key: Key) => string,
  loadMany: (keys: Key[]) => Promise<Map<string, Value>>,
): Loader<Key, Value> {
  let loaders = loadersByContext.get(context);
  if (!loaders) loadersByContext.set(context, (loaders = new Map()));
  const existing = loaders.get(name);
  if (existing) return existing as unknown as Loader<Key, Value>;

  const cache = new Map<string, Promise<Value>>();
  const settled = new Map<string, Value>();
  let pending = new Map<string, Batch<Key, Value>>();
  let scheduled = false;

  const dispatch = async () => {
    scheduled = false;
    const batch = pending;
    pending = new Map();
    try {
      const values = await loadMany([...batch.values()].map((waiting) => waiting[0]!.key));
      for (const [id, waiting] of batch) {
        if (!values.has(id)) throw new Error(`loader ${name} returned nothing for ${id}`);
        const value = values.get(id) as Value;
        settled.set(id, value);
        for (const w of waiting) w.resolve(value);
      }
    } catch (error) {
      for (const waiting of batch.values()) for (const w of waiting) w.reject(error);
    }
  };

  const loader: Loader<Key, Value> = {
    load(key) {
      const id = keyOf(key);
      const cached = cache.get(id);
      if (cached) return cached;
      if (settled.has(id)) {
        const primed = Promise.resolve(settled.get(id) as Value);
        cache.set(id, primed);
        return primed;
      }
      const promise = new Promise<Value>((resolve, reject) => {
        const waiting = pending.get(id) ?? [];
        waiting.push({ key, resolve, reject });
        pending.set(id, waiting);
      });
      cache.set(id, promise);
      if (!scheduled) {
        scheduled = true;
        // After the promise jobs already queued, as DataLoader does: resolvers of sibling list
        // items that start after an await still join this batch.
        void Promise.resolve().then(() => process.nextTick(() => void dispatch()));
      }
      return promise;
    },
    prime(key, value) {
      const id = keyOf(key);
      // No promise until someone loads it: a page primes hundreds of holders read through peek.
      if (!cache.has(id) && !settled.has(id)) settled.set(id, value);
    },
    peek: (key) => settled.get(keyOf(key)),
  };
  loaders.set(name, loader as unknown as Loader<never, unknown>);
  return loader;
}
