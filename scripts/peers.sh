#!/usr/bin/env bash
# Installs, when missing, every real peer the test suite runs against: CNCF Distribution and
# the container tools from Debian, and Go-built tools from the Go module proxy. Idempotent and
# quick when everything is present. A peer that cannot be installed fails here, loudly: tests
# never skip a missing peer.
set -euo pipefail

APT_PACKAGES=(docker-registry skopeo umoci podman apache2-utils wrk openssl curl)

# name -> module@version (the versions the tests were written against; bump deliberately)
declare -A GO_PEERS=(
  [oras]="oras.land/oras/cmd/oras@v1.3.6"
  [crane]="github.com/google/go-containerregistry/cmd/crane@v0.22.1"
  [conformance]="github.com/opencontainers/distribution-spec/conformance@v0.0.0-20260831232431-97274622c111"
)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "peers: missing Debian packages: ${missing[*]}; run: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "peers: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

export PATH="/usr/local/go/bin:$PATH"
if ! command -v go >/dev/null; then
  echo "peers: Go is required to build oras, crane and the OCI conformance suite (expected at /usr/local/go)" >&2
  exit 1
fi
GOBIN="$(go env GOPATH)/bin"
for name in "${!GO_PEERS[@]}"; do
  want="${GO_PEERS[$name]}"
  stamp="$GOBIN/.idp-peer-$name"
  if [[ -x "$GOBIN/$name" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then continue; fi
  echo "peers: go install $want" >&2
  GOFLAGS=-mod=mod go install "$want"
  echo "$want" >"$stamp"
done
echo "peers: ready (docker-registry, skopeo, umoci, podman, htpasswd, wrk, oras, crane, conformance)" >&2
