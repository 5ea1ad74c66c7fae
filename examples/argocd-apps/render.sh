#!/usr/bin/env bash
# Renders the Argo CD objects in examples/argocd-apps/ from the example packages, through a
# private `idp serve`: the app-of-apps of app-catalog (one Application per package, in sync
# waves), a hybrid Application (OCI package + git sources), the repository Secret and the
# Config Management Plugin files. The registry is named registry.example.com in the output.
# Usage: bash examples/argocd-apps/render.sh [path/to/idp] [out-dir]
# The test suite runs it into a scratch directory and fails when the committed files differ:
# after changing an example package or the renderer, run it with no arguments and commit.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
idp="${1:-$here/../../dist/idp}"
out="${2:-$here}"
work="$(mktemp -d)"
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
# No credential of the person running this may end up in a committed file.
export IDP_HOME="$work/idp-home" DOCKER_CONFIG="$work/docker" NO_COLOR=1
unset IDP_REGISTRY_USERNAME IDP_REGISTRY_PASSWORD IDP_REGISTRY_HOST

"$idp" serve --listen 127.0.0.1:0 --root "$work/registry" --json >"$work/serve.json" 2>"$work/serve.log" &
server=$!
for _ in $(seq 50); do [ -s "$work/serve.json" ] && break; sleep 0.1; done
registry="$(sed -E 's#.*"url":"http://([^"]+)".*#\1#' "$work/serve.json")"
for pkg in platform-base ingress app-catalog; do
  "$idp" package push "$here/../packages/$pkg" "$registry/examples/$pkg" --moving-tags --quiet >/dev/null
done

mkdir -p "$out"
as_argocd=(--argocd-registry registry.example.com)
"$idp" argocd app "$registry/examples/app-catalog:0.3.0" "${as_argocd[@]}" >"$out/app-catalog.yaml"
"$idp" argocd app "$registry/examples/ingress:1.2.0" --without-deps "${as_argocd[@]}" \
  --git-source https://git.example.com/platform/overlays.git@main:ingress/prod \
  --git-ref values=https://git.example.com/platform/values.git@main \
  --values '$values/ingress/prod.yaml' >"$out/hybrid-ingress.yaml"
"$idp" argocd app "$registry/examples/platform-base" --without-deps --revision '^1.0.0' "${as_argocd[@]}" >"$out/platform-base-range.yaml"
"$idp" argocd repo-secret registry.example.com/examples --repository ingress --stdout >"$out/repo-secret.yaml" 2>/dev/null
"$idp" argocd plugin install -o "$out/plugin" --image registry.example.com/platform/idp-cmp:0.1.0 2>/dev/null
echo "rendered into $out"
