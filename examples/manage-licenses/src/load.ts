// A small hook for "load this from the API": loading, error and done, with a reload that keeps
// the shown data until the new answer arrives.
import { useCallback, useEffect, useState } from 'react';

export type Load<T> = { status: 'loading' } | { status: 'error'; error: unknown } | { status: 'done'; data: T; refreshing: boolean };

export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[]): [Load<T>, () => void] {
  const key = JSON.stringify(deps);
  const [state, setState] = useState<{ key: string; load: Load<T> }>({ key, load: { status: 'loading' } });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((prev) =>
      prev.key === key && prev.load.status === 'done' ? { key, load: { ...prev.load, refreshing: true } } : { key, load: { status: 'loading' } },
    );
    load().then(
      (data) => live && setState({ key, load: { status: 'done', data, refreshing: false } }),
      (error: unknown) => live && setState({ key, load: { status: 'error', error } }),
    );
    return () => {
      live = false;
    };
    // `load` is a new closure on every render; `key` (its inputs) says when to load again.
  }, [key, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return [state.key === key ? state.load : { status: 'loading' }, reload];
}

/** Every item of one of the SDK's paging iterators. */
export async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}
