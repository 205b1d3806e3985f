#!/usr/bin/env bash
# Sets everything up and runs every test. The tests start the services they need themselves (a
# real etcd on free loopback ports, in temporary directories) and stop them, by PID, afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
node scripts/run-tests.mjs
