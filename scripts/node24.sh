#!/bin/sh
# Runs a command on Node 24 (the project's runtime). When the machine's Node is older, the pinned
# Node 24 comes from the npm registry's `node` package (real binaries) into .tools/node, once, and
# goes first on PATH; on a machine with Node 24 or newer nothing is fetched.
#   sh scripts/node24.sh <command> [args...]
set -e
version=24.21.0
tools="$(cd "$(dirname "$0")/.." && pwd)/.tools/node"
major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$major" -lt 24 ]; then
  if [ "$("$tools/node_modules/.bin/node" --version 2>/dev/null)" != "v$version" ]; then
    echo "node24.sh: Node $(node --version 2>/dev/null || echo missing) is older than 24: installing node@$version from the npm registry into .tools/node" >&2
    npm install --prefix "$tools" --no-save --no-audit --no-fund --loglevel=error "node@$version" >&2
  fi
  PATH="$tools/node_modules/.bin:$PATH"
  export PATH
fi
exec "$@"
