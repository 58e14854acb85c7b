#!/usr/bin/env bash
# (a) two hops and (b) through the gateway, measured by ../shared/bench/peers.sh as its candidate,
# beside the one-hop peers of the same run (default PEERS="direct node-http"):
#   two-hop:  client sidecar -> server sidecar -> backend   (bench/scenarios/mesh-candidate.sh two-hop), mTLS between them
#   two-hop-plain: the same with Mesh.spec.mtls DISABLE (plaintext between the sidecars)
#   two-hop-split: two-hop with the client sidecar on LOAD_CPU, beside the load generator that plays
#             its app (each sidecar shares a core with its own app, as on two machines); the server
#             sidecar and the control plane stay on PROXY_CPU with the backend
#   gateway:  gateway -> server sidecar -> backend           (bench/scenarios/mesh-candidate.sh gateway)
#   one-hop:  `trellis proxy --listen --upstream`            (the candidate of `npm run bench`)
# Each peers.sh run measures one candidate; the modes are interleaved run by run (RUNS times) so
# they see the same machine state, and every run carries its own direct and node:http baselines.
# peers.sh pins the candidate's whole process tree (control plane + proxies) to PROXY_CPU with the
# backend; the load generator runs on LOAD_CPU. Its CPU and RSS columns cover the whole tree,
# control plane included.
#
# Settings: RUNS [3; QUICK 1]  DURATION [8; QUICK 3]  HOP_MODES ["two-hop two-hop-plain two-hop-split gateway one-hop"]
#   HOP_PEERS ["direct node-http"]  BENCH_DIR [/tmp/trellis-sc-hops-<ts>]  OUT [stdout only]
#   PEERS_SH [../shared/bench/peers.sh]  WAIT_OTHERS [900] s to wait while another peers.sh runs
# Output: JSON (bench/summarize.mjs medians/ratios per mode) on stdout and in OUT.
set -uo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$REPO" || exit 2
if [[ ${QUICK:-} == 1 ]]; then RUNS=${RUNS:-1}; DURATION=${DURATION:-3}; else RUNS=${RUNS:-3}; DURATION=${DURATION:-8}; fi
HOP_MODES=${HOP_MODES:-"two-hop two-hop-plain two-hop-split gateway one-hop"}
HOP_PEERS=${HOP_PEERS:-"direct node-http"}
PEERS_SH=${PEERS_SH:-$REPO/../shared/bench/peers.sh}
BENCH_DIR=${BENCH_DIR:-/tmp/trellis-sc-hops-$(date +%Y%m%d-%H%M%S)}
WAIT_OTHERS=${WAIT_OTHERS:-900}
log() { printf '[hops %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

[[ -f $PEERS_SH ]] || { log "peers script not found: $PEERS_SH"; exit 2; }
mkdir -p "$BENCH_DIR"

# peers.sh uses fixed ports (backends 18080/18081, peers 18091-18095): two runs cannot overlap.
wait_for_others() {
  local waited=0
  while pgrep -f 'bench/peers\.sh' >/dev/null; do
    ((waited == 0)) && log "another peers.sh is running; waiting (up to ${WAIT_OTHERS}s)"
    ((waited >= WAIT_OTHERS)) && { log "still running after ${WAIT_OTHERS}s; giving up"; return 1; }
    sleep 5; waited=$((waited + 5))
  done
  return 0
}

n_peers=$(($(wc -w <<<"$HOP_PEERS") + 1))
max_total=$(( n_peers * (2 * DURATION + 40) + 60 ))
declare -A DIRS
for ((r = 1; r <= RUNS; r++)); do
  for mode in $HOP_MODES; do
    case $mode in
      two-hop|gateway) cmd="bash $REPO/bench/scenarios/mesh-candidate.sh $mode" ;;
      two-hop-plain) cmd="env MTLS=DISABLE bash $REPO/bench/scenarios/mesh-candidate.sh two-hop" ;;
      two-hop-split) cmd="env CLIENT_CPU=${LOAD_CPU:-1} bash $REPO/bench/scenarios/mesh-candidate.sh two-hop" ;;
      one-hop) cmd="node $(bash "$REPO/bench/proxy-node-flags.sh") $REPO/bin/trellis.js proxy --listen 127.0.0.1:\$LISTEN_PORT --upstream \$BACKEND_URL" ;;
      *) log "unknown mode $mode"; exit 2 ;;
    esac
    wait_for_others || exit 1
    dir="$BENCH_DIR/$mode-run-$r"
    log "run $r/$RUNS: $mode (peers: $HOP_PEERS + candidate), ${DURATION}s per measurement"
    CANDIDATE_NAME=trellis CANDIDATE_PORT=18100 CANDIDATE_CMD="$cmd" PEERS="$HOP_PEERS" DURATION=$DURATION \
      RESULTS_DIR="$dir" MAX_TOTAL=$max_total READY_TIMEOUT=60 \
      timeout -k 10 $((max_total + 20)) bash "$PEERS_SH" >"$dir.out" 2>"$dir.err"
    rc=$?
    if grep -q '^trellis' "$dir/results.tsv" 2>/dev/null; then DIRS[$mode]+=" $dir"
    else log "$mode run $r: no candidate result (exit $rc; see $dir.err)"; fi
  done
done

parts=()
for mode in $HOP_MODES; do
  [[ -n ${DIRS[$mode]:-} ]] || continue
  # shellcheck disable=SC2086
  node "$REPO/bench/summarize.mjs" --json "$BENCH_DIR/$mode.json" --command "QUICK=${QUICK:-} bash bench/scenarios/hops.sh" ${DIRS[$mode]} >/dev/null \
    && parts+=("$mode=$BENCH_DIR/$mode.json")
done
node - "$DURATION" "$RUNS" "$HOP_PEERS" "${parts[@]}" <<'EOF'
const fs = require('fs')
const [duration, runs, peers, ...parts] = process.argv.slice(2)
const modes = {}
for (const p of parts) {
  const [mode, file] = p.split('=')
  const j = JSON.parse(fs.readFileSync(file, 'utf8'))
  // added p90 (Istio quotes p90 and p99), per run then median
  const addedP90 = j.runs.map(r => r.peers.trellis && r.peers.direct ? r.peers.trellis.rate_p90_ms - r.peers.direct.rate_p90_ms : null)
  const nhAddedP90 = j.runs.map(r => r.peers['node-http'] && r.peers.direct ? r.peers['node-http'].rate_p90_ms - r.peers.direct.rate_p90_ms : null)
  const med = xs => { const v = xs.filter(x => x !== null && Number.isFinite(x)).sort((a, b) => a - b); if (!v.length) return null; const m = v.length >> 1; return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2 }
  const ratioAdded99 = med(j.runs.map(r => r.peers.trellis && r.peers['node-http'] && r.peers['node-http'].added_p99_ms > 0 ? r.peers.trellis.added_p99_ms / r.peers['node-http'].added_p99_ms : null))
  modes[mode] = { runs: j.runs.length, dirs: j.runs.map(r => r.dir), settings: j.settings, loadavg: j.runs.map(r => r.env.filter(l => l.startsWith('loadavg'))),
    medians: j.medians, ratios: j.ratios, added_p90_ms: { trellis: med(addedP90), 'node-http': med(nhAddedP90) },
    added_p99_ratio_to_node_http: ratioAdded99, candidate: j.commands.peers }
}
const out = JSON.stringify({ scenario: 'hops', date: new Date().toISOString(), duration_s: Number(duration), runs: Number(runs), peers: peers, modes }, null, 2) + '\n'
if (process.env.OUT) fs.writeFileSync(process.env.OUT, out)
process.stdout.write(out)
EOF
