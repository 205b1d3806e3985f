#!/usr/bin/env bash
# The main job, for now: an embedded datastore in a temporary directory, the manifests of
# examples/ applied to it (Calico v3 and Kubernetes objects, unchanged), and what Tortie stored,
# shown with `tortie get` — Calico's defaults filled in, the Kubernetes objects converted.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh

store_dir=$(mktemp -d /tmp/tt-demo-XXXXXX)
trap 'rm -rf "$store_dir"' EXIT
export TORTIE_STORE_PATH="$store_dir/store.db" TORTIE_CONFIG=/dev/null
t() { echo; echo "\$ tortie $*"; ./bin/tortie "$@"; }

t apply -f examples/
t get ippools -o wide
t get ippool default-ipv4-ippool -o yaml
t get bgppeers
t get globalnetworkpolicies -o wide
t get profiles -o wide
t get networkpolicies -A -o wide
t get networkpolicy knp.default.web-allow -n shop -o yaml
