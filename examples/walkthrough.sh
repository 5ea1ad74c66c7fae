#!/usr/bin/env bash
# A walk through idp packages, start to finish, on a private `idp serve`:
#   build and push three packages that depend on each other, resolve and lock the
#   dependencies of the top one, then pull its locked closure by digest.
# Usage: bash examples/walkthrough.sh [path/to/idp]   (CI runs it through npm test)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
idp="${1:-$here/../dist/idp}"
work="$(mktemp -d)"
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$work"' EXIT

# 1. A registry of our own, on a free port, with its storage in a scratch directory.
"$idp" serve --listen 127.0.0.1:0 --root "$work/registry" --json >"$work/serve.json" 2>"$work/serve.log" &
server=$!
for _ in $(seq 50); do [ -s "$work/serve.json" ] && break; sleep 0.1; done
registry="$(sed -E 's#.*"url":"http://([^"]+)".*#\1#' "$work/serve.json")"
echo "registry at $registry"

# 2. Validate, build and push each package; dependencies first is not required.
for pkg in platform-base ingress app-catalog; do
  "$idp" package validate "$here/packages/$pkg"
  "$idp" package push "$here/packages/$pkg" "$registry/examples/$pkg" --moving-tags --quiet
done
"$idp" package versions "$registry/examples/ingress"

# 3. Resolve app-catalog's dependencies and lock every node to a digest (in a copy, so the
#    example tree stays clean).
cp -r "$here/packages/app-catalog" "$work/app-catalog"
"$idp" deps tree "$work/app-catalog" --registry "$registry"
"$idp" deps lock "$work/app-catalog" --registry "$registry"
"$idp" deps lock "$work/app-catalog" --registry "$registry" --locked

# 4. Pull the locked closure: each package by digest, into vendor/<name>.
"$idp" package pull "$work/app-catalog" --with-deps -o "$work/vendor"
find "$work/vendor" -type f | sed "s#$work/##" | sort
echo "walkthrough: ok"
