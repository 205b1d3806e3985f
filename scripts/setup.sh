#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine that has Node 20: the system packages Tortie and its tests use
# (installed only when missing), then `npm ci` and the build. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v ip >/dev/null        || need+=(iproute2)
command -v nft >/dev/null       || need+=(nftables)
command -v etcd >/dev/null      || need+=(etcd-server)
command -v etcdctl >/dev/null   || need+=(etcd-client)
command -v bird >/dev/null      || need+=(bird2)
command -v gobgpd >/dev/null    || need+=(gobgpd)
command -v conntrack >/dev/null || need+=(conntrack)
command -v cc >/dev/null        || need+=(gcc libc6-dev)
command -v nsenter >/dev/null   || need+=(util-linux)
command -v ping >/dev/null      || need+=(iputils-ping)
command -v iperf3 >/dev/null    || need+=(iperf3)
[ -x /usr/lib/cni/ptp ]          || need+=(containernetworking-plugins)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${need[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

node -e 'const [a,b]=process.versions.node.split(".").map(Number); if (a!==20||b<19) { console.error(`setup: Tortie needs Node 20.19+ (found ${process.versions.node})`); process.exit(1); }'
# better-sqlite3 compiles from source when no prebuilt binary can be fetched (about a minute).
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run build --silent
