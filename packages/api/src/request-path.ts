// The path of a request, read from its URL's text: the plugins that answer one path of their own
// (/ready, /metrics, GraphiQL's assets) look at every request, and parsing each request's URL
// (new URL) to find that it is not theirs was a measurable part of a small read's CPU (BENCHMARKS.md).

/** The path of an absolute URL ("http://host/a/b?c" → "/a/b"), as it was sent: not normalised, still percent-encoded. */
export function requestPath(url: string): string {
  const scheme = url.indexOf('://');
  const start = url.indexOf('/', scheme < 0 ? 0 : scheme + 3);
  if (start < 0) return '/';
  let end = url.length;
  for (let i = start; i < end; i++) {
    const c = url.charCodeAt(i);
    if (c === 63 /* ? */ || c === 35 /* # */) end = i;
  }
  return url.slice(start, end);
}
