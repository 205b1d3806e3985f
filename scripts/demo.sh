#!/usr/bin/env bash
# The main job: the article's story on a real two-node cluster in network namespaces on this
# machine (`tortie lab`): real agents with their BGP speakers, the real CNI plugin, the real kernel.
#   1. two nodes, one pod on each; the pods' routes (default via 169.254.1.1) and the nodes' routes
#      (a /32 to the local pod's cali… veth, a blackhole for the local block, the remote block via
#      the other node, learned over BGP)
#   2. a ping across nodes, and `tortie trace` of it, hop by hop from the live kernels
#   3. a policy that denies it: the probe is blocked and the trace names the rule
#   4. the pool switched to VXLAN: the remote block now goes through vxlan.tortie
# Everything is removed at the end (also on failure or Ctrl-C). Needs root: network namespaces.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then exec sudo -E "$0" "$@"; fi
./scripts/setup.sh

LAB=demo
export TORTIE_CONFIG=/dev/null
tortie() { node dist/src/bin/tortie.js "$@"; }
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '\n$ tortie %s\n' "$*"; tortie "$@"; }
trap 'step "tear down"; tortie lab down --name $LAB' EXIT
tortie lab down --name $LAB >/dev/null 2>&1 || true   # a previous run's leftovers

step "a two-node cluster: a router namespace for the underlay, one namespace per node, an agent in each"
show lab up --name $LAB --nodes 2
show lab pod add --name $LAB default/client --node node1 --labels app=client
show lab pod add --name $LAB default/web --node node2 --labels app=web --port http:80/tcp
tortie lab serve --name $LAB default/web --port 80/tcp >/dev/null
eval "$(tortie lab env --name $LAB)"   # every other tortie command now talks to the lab's datastore

step "the pod's routes: everything goes to 169.254.1.1, which the host answers by proxy ARP"
show lab exec --name $LAB default/client -- ip route
step "node1's routes: the local pod's /32, a blackhole for its own block, node2's block via node2"
show lab exec --name $LAB node1 -- ip route
show node status node1

step "the packet crosses hosts that are routers — no encapsulation, no bridge"
show lab ping --name $LAB default/client default/web
show trace --name $LAB default/client default/web

step "isolation, enforced in the receiving host's kernel: the client may not open port 80 on the web pod"
policy='apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: { name: deny-client-to-web, namespace: default }
spec:
  selector: app == '"'web'"'
  types: [Ingress]
  ingress:
  - action: Deny
    protocol: TCP
    source: { selector: app == '"'client'"' }
    destination: { ports: [80] }
  - action: Allow'
printf '\n$ tortie apply -f - <<EOF\n%s\nEOF\n' "$policy"
echo "$policy" | tortie apply -f -
sleep 1
printf '\n$ tortie lab probe default/client default/web --port 80\n'
if tortie lab probe --name $LAB default/client default/web --port 80 --protocol tcp; then
  echo "expected the probe to be blocked" >&2; exit 1
fi
show trace --name $LAB default/client default/web --protocol tcp --port 80 || true

step "the same cluster over VXLAN (for an underlay that cannot route pod addresses)"
tortie get ippool default-ipv4-ippool -o yaml | sed 's/vxlanMode: Never/vxlanMode: Always/' | tortie apply -f -
for _ in $(seq 50); do
  tortie lab exec --name $LAB node1 -- ip route | grep -q vxlan.tortie && break
  sleep 0.2
done
show lab exec --name $LAB node1 -- ip route
show lab ping --name $LAB default/client default/web
show trace --name $LAB default/client default/web
