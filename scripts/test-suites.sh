#!/bin/sh
# Every package's test suite, as jobs on two lanes (this machine's two cores; vitest itself keeps one
# core busy per suite), longest first, through `concurrently`. Runs on Node 24 (`npm test` calls it
# through scripts/node24.sh) after the install, lint and type-check.
#
# Without DATABASE_URL every suite runs on the embedded PGlite. With DATABASE_URL the suites run on
# that PostgreSQL server, and the API's and the database package's run once more on PGlite: those two
# hold the backend-specific code, while the SDK, the examples, the web app and the benchmark's
# tests only speak GraphQL to an API, which is the same code on either backend.
set -eu
pnpm="npx --yes pnpm@10.34.8"
pglite="env -u DATABASE_URL"
# The SDK's build (tsc into packages/sdk/dist) is written by the SDK's, the examples' and the web
# app's test scripts: they stay one after the other in a single job so no two write it at once.
clients="$pnpm -r --workspace-concurrency=1 --no-bail --filter @school-licenses/sdk --filter @school-licenses/examples --filter @school-licenses/manage-licenses --filter @school-licenses/bench test"
api="$pnpm --filter @school-licenses/api test"
db="$pnpm --filter @school-licenses/db test"

if [ -n "${DATABASE_URL:-}" ]; then
  set -- "$pglite $api" "$api" "$clients" "$pglite $db" "$db"
  names="api:pglite,api:postgres,clients:postgres,db:pglite,db:postgres"
else
  set -- "$api" "$clients" "$db"
  names="api:pglite,clients:pglite,db:pglite"
fi
exec node_modules/.bin/concurrently --max-processes 2 --names "$names" --timings "$@"
