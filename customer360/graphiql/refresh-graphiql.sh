#!/usr/bin/env bash
# Refreshes the vendored GraphiQL (and the React it runs on) from the npm registry: needs npm; serving
# does not. The versions are the ones Strawberry's own GraphiQL page loads from a CDN; our page
# (static/graphiql.html) loads these copies instead, so GraphiQL works on a network without the internet.
# Usage: customer360/graphiql/refresh-graphiql.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)/static/vendor"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$here"
rm -f "$here"/*

unpack() {  # package version: unpacks it under $work/<name>/package
  local dir="$work/$(basename "$1")"
  mkdir -p "$dir"
  (cd "$dir" && npm pack --silent "$1@$2" >/dev/null && tar xzf ./*.tgz)
  echo "$1@$2" >> "$here/VERSIONS"
}

unpack react 18.2.0
unpack react-dom 18.2.0
unpack graphiql 3.8.3
unpack @graphiql/plugin-explorer 1.0.2
cp "$work/react/package/umd/react.production.min.js" "$work/react/package/LICENSE" "$here/"
mv "$here/LICENSE" "$here/react-LICENCE"
cp "$work/react-dom/package/umd/react-dom.production.min.js" "$here/"
cp "$work/react-dom/package/LICENSE" "$here/react-dom-LICENCE"
cp "$work/graphiql/package/graphiql.min.js" "$work/graphiql/package/graphiql.min.css" "$here/"
cp "$work/graphiql/package/LICENSE" "$here/graphiql-LICENCE"
cp "$work/plugin-explorer/package/dist/index.umd.js" "$here/plugin-explorer.umd.js"
cp "$work/plugin-explorer/package/dist/style.css" "$here/plugin-explorer.css"
# The explorer's package ships no licence file; its package.json says MIT, and it comes from the same
# repository (graphql/graphiql) and copyright holder as graphiql, whose licence text it shares.
cp "$work/graphiql/package/LICENSE" "$here/plugin-explorer-LICENCE"
echo "GraphiQL vendored in $here:"
cat "$here/VERSIONS"
