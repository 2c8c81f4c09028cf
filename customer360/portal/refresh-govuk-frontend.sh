#!/usr/bin/env bash
# Refreshes the vendored GOV.UK Frontend build from the npm registry (needs npm; serving does not).
# Usage: customer360/portal/refresh-govuk-frontend.sh [VERSION]. Keep VERSION the one
# govuk-frontend-jinja's macros are ported from (its README badge), or the markup and styles drift.
set -euo pipefail
version="${1:-6.3.0}"
here="$(cd "$(dirname "$0")" && pwd)/static/govuk"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "govuk-frontend@$version" >/dev/null && tar xzf "govuk-frontend-$version.tgz")
dist="$work/package/dist/govuk"
rm -rf "$here/assets"
cp -R "$dist/assets" "$here/assets"
cp "$dist/govuk-frontend.min.css" "$dist/govuk-frontend.min.js" "$here/"
echo "$version" > "$here/VERSION"
echo "GOV.UK Frontend $version vendored in $here"
