// GraphiQL served from this server's own copy of its assets, so it works without internet access
// (yoga's default page loads them from a CDN).
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, normalize } from 'node:path';
import { renderGraphiQL, type GraphiQLOptions, type Plugin } from 'graphql-yoga';
import { requestPath } from './request-path.ts';

export const GRAPHIQL_ASSETS_PATH = '/graphiql-assets/';

const require = createRequire(import.meta.url);
const assetsDir = join(dirname(require.resolve('@graphql-yoga/graphiql/package.json')), 'dist');
const contentTypes: Record<string, string> = { '.js': 'text/javascript', '.css': 'text/css' };

export function renderLocalGraphiQL(options: GraphiQLOptions): string {
  return renderGraphiQL(options).replace(/https:\/\/unpkg\.com\/@graphql-yoga\/graphiql@[^/]+\/dist\//g, GRAPHIQL_ASSETS_PATH);
}

// Every request passes here: any other path returns at once, without a promise to wait for.
export function useGraphiQLAssets(): Plugin {
  return {
    onRequest({ request, endResponse, fetchAPI }) {
      const path = requestPath(request.url);
      if (!path.startsWith(GRAPHIQL_ASSETS_PATH)) return;
      const relative = normalize(decodeURIComponent(path.slice(GRAPHIQL_ASSETS_PATH.length)));
      const extension = relative.slice(relative.lastIndexOf('.'));
      if (relative.startsWith('..') || !contentTypes[extension]) {
        endResponse(new fetchAPI.Response('Not found', { status: 404 }));
        return;
      }
      return readFile(join(assetsDir, relative)).then(
        (body) =>
          endResponse(
            new fetchAPI.Response(body, {
              headers: { 'content-type': contentTypes[extension]!, 'cache-control': 'public, max-age=86400' },
            }),
          ),
        () => endResponse(new fetchAPI.Response('Not found', { status: 404 })),
      );
    },
  };
}
