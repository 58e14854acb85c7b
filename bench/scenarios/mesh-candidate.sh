#!/usr/bin/env bash
# bench/scenarios/mesh-candidate.sh MODE: a small Trellis mesh as ONE peers.sh candidate, so that
# it is measured beside the one-hop peers in the same run. peers.sh runs it under `bash -c` with
# LISTEN_PORT, BACKEND_URL and BACKEND_PORT exported, pinned to PROXY_CPU; this process tree
# holds the control plane and every proxy, so peers.sh's CPU and RSS columns include the control
# plane (idle under load: it only answers status reports) and this bash process (~4 MB RSS).
#
#   MODE=two-hop: client sidecar -> server sidecar -> BACKEND (the app of the server sidecar).
#                 The client sidecar's local listener for Service `server` is LISTEN_PORT
#                 (Workload upstreams[].localPort), as an app would call it.
#   MODE=gateway: gateway (listener on LISTEN_PORT, HTTPRoute -> server) -> server sidecar -> BACKEND.
#
# CLIENT_CPU (two-hop): pin the client sidecar to this CPU instead of the one peers.sh gives the tree.
#
# Control plane: `trellis control-plane --store memory --state <tmp>` on LISTEN_PORT+1; the
# proxies join with the admin token from the state folder. The state folder is removed on exit.
# On TERM/INT/EXIT every child is stopped (TERM, then KILL after 3 s); the proxies also get
# --parent-pid so they exit by themselves if this script is killed outright.
set -uo pipefail
MODE=${1:-two-hop}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TRELLIS="node ${CP_NODE_FLAGS:-} $REPO/bin/trellis.js"
# Proxies run with the node flags `trellis up` gives them (src/supervisor/proxy-node-flags.ts), plus
# PROXY_NODE_FLAGS for experiments; CP_NODE_FLAGS adds flags to the control plane (e.g. --cpu-prof).
PROXY="node $(bash "$REPO/bench/proxy-node-flags.sh") ${PROXY_NODE_FLAGS:-} $REPO/bin/trellis.js"
: "${LISTEN_PORT:?}" "${BACKEND_PORT:?}"
CP_PORT=${CP_PORT:-$((LISTEN_PORT + 1))}
CP_URL="http://127.0.0.1:$CP_PORT"
STATE=$(mktemp -d /tmp/trellis-sc-mesh-XXXXXX)
PIDS=()

log() { printf '[mesh-candidate %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
cleanup() {
  # peers.sh sends TERM to the process group and then to each PID: ignore the second one here,
  # or it would end this function before the state folder is removed.
  trap '' INT TERM
  trap - EXIT
  local p i
  # proxies first (newest first), the control plane last
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do kill -TERM "${PIDS[$i]}" 2>/dev/null; done
  for i in $(seq 30); do
    local alive=0
    for p in "${PIDS[@]}"; do [[ -d /proc/$p ]] && alive=1; done
    ((alive)) || break
    sleep 0.1
  done
  for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
  rm -rf "$STATE"
}
trap cleanup EXIT
trap 'exit 0' INT TERM

cat >"$STATE/mesh.yaml" <<EOF
apiVersion: trellis.dev/v1alpha1
kind: Mesh
metadata: { name: default }
spec: { drainTimeout: 1s, mtls: ${MTLS:-STRICT} }
---
apiVersion: trellis.dev/v1alpha1
kind: Service
metadata: { name: server }
spec: { protocol: http, port: 80, selector: { app: server } }
---
apiVersion: trellis.dev/v1alpha1
kind: Workload
metadata: { name: server, labels: { app: server } }
spec: { command: [nginx] }   # started by peers.sh as its backend, not by Trellis
EOF
case $MODE in
  two-hop) cat >>"$STATE/mesh.yaml" <<EOF
---
apiVersion: trellis.dev/v1alpha1
kind: Workload
metadata: { name: client, labels: { app: client } }
spec:
  command: [load-generator]   # peers.sh's wrk/h2load play the client app
  upstreams: [{ service: server, localPort: $LISTEN_PORT }]
EOF
  ;;
  gateway) cat >>"$STATE/mesh.yaml" <<EOF
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: edge }
spec:
  listeners: [{ name: http, port: $LISTEN_PORT, protocol: HTTP }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: edge }
spec:
  parentRefs: [{ kind: Gateway, name: edge }]
  rules: [{ backendRefs: [{ name: server, port: 80 }] }]
EOF
  ;;
  *) log "unknown mode $MODE (two-hop | gateway)"; exit 2 ;;
esac

$TRELLIS control-plane --store memory --state "$STATE" --listen "127.0.0.1:$CP_PORT" --parent-pid $$ &
PIDS+=($!)
for _ in $(seq 400); do
  [[ -s $STATE/admin-token ]] && curl -sf -o /dev/null --max-time 1 "$CP_URL/healthz" && break
  sleep 0.025
done
[[ -s $STATE/admin-token ]] || { log "control plane did not start"; exit 1; }
TOKEN=$(cat "$STATE/admin-token")
timeout 30 $TRELLIS apply -f "$STATE/mesh.yaml" --state "$STATE" --control-plane "$CP_URL" >&2 || { log "apply failed"; exit 1; }

export TRELLIS_TOKEN=$TOKEN TRELLIS_DRAIN_TIMEOUT_MS=${TRELLIS_DRAIN_TIMEOUT_MS:-1000}
$PROXY proxy --workload server --app-port "$BACKEND_PORT" --control-plane "$CP_URL" --parent-pid $$ &
PIDS+=($!)
if [[ $MODE == two-hop ]]; then
  $PROXY proxy --workload client --app-port "$BACKEND_PORT" --control-plane "$CP_URL" --parent-pid $$ &
  [[ -n ${CLIENT_CPU:-} ]] && taskset -cp "$CLIENT_CPU" $! >/dev/null
else
  $PROXY gateway edge --control-plane "$CP_URL" --parent-pid $$ &
fi
PIDS+=($!)
log "$MODE: control plane ${PIDS[0]}, proxies ${PIDS[*]:1}; listening on 127.0.0.1:$LISTEN_PORT"
wait
