#!/usr/bin/env bash
# bench/run.sh: Trellis beside the peers (direct, nginx, HAProxy, node:http, http-proxy, Fastify),
# measured in the same run by ../shared/bench/peers.sh, repeated RUNS times; the medians and the
# same-run ratios go to bench/results/latest.json and docs/performance.md (bench/summarize.mjs).
#
# Usage (from the repo; `npm run bench` builds first):
#   npm run bench                          # RUNS=3 runs of DURATION=10 s per measurement
#   DURATION=3 RUNS=1 npm run bench        # a quick look
#   PEERS="direct node-http" RUNS=1 bash bench/run.sh
#
# Settings (environment, defaults in brackets); the peers.sh ones are passed through:
#   RUNS [3]  DURATION [10]  WARMUP [2]  CONNS [50]  RATE [1000]  RATE_CLIENTS [10]
#   BACKEND [nginx]  RESPONSE_BYTES [2]  LOAD_CPU [1]  PROXY_CPU [0]
#   PEERS [direct nginx haproxy node-http node-http-proxy fastify]  (trellis is always added)
#   CANDIDATE_PORT [18100]  PEERS_SH [../shared/bench/peers.sh]
#   NODE_MODULES [/tmp/trellis-bench-npm/node_modules]  BENCH_DIR [/tmp/trellis-bench-<timestamp>]
#   NO_INSTALL [unset]: only check the tools, never install them
#   NO_DOC [unset]: write bench/results/latest.json but leave docs/performance.md alone
#   SCENARIOS [1]: then run bench/scenarios.sh (issue 3 item 2; QUICK=1 for its short version)
# Every peers.sh run is bounded by its MAX_TOTAL (computed from the settings) and by `timeout`.
# Benchmarks are not tests: nothing here runs from `npm test`.

set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO" || exit 2

RUNS=${RUNS:-3}
export DURATION=${DURATION:-10} WARMUP=${WARMUP:-2} CONNS=${CONNS:-50} RATE=${RATE:-1000}
export RATE_CLIENTS=${RATE_CLIENTS:-10} BACKEND=${BACKEND:-nginx} RESPONSE_BYTES=${RESPONSE_BYTES:-2}
export LOAD_CPU=${LOAD_CPU:-1} PROXY_CPU=${PROXY_CPU:-0}
export PEERS=${PEERS:-"direct nginx haproxy node-http node-http-proxy fastify"}
export NODE_MODULES=${NODE_MODULES:-/tmp/trellis-bench-npm/node_modules}
PEERS_SH=${PEERS_SH:-$REPO/../shared/bench/peers.sh}
BENCH_DIR=${BENCH_DIR:-/tmp/trellis-bench-$(date +%Y%m%d-%H%M%S)}
export CANDIDATE_NAME=trellis CANDIDATE_PORT=${CANDIDATE_PORT:-18100}
# Runs under `bash -c` inside peers.sh, which exports LISTEN_PORT and BACKEND_URL.
# The flags `trellis up` starts every proxy with (src/supervisor/proxy-node-flags.ts).
export CANDIDATE_CMD="node $(bash "$REPO/bench/proxy-node-flags.sh") $REPO/bin/trellis.js proxy --listen 127.0.0.1:\$LISTEN_PORT --upstream \$BACKEND_URL"

log() { printf '[bench %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "error: $*"; exit 2; }

[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive integer, got '$RUNS'"
[[ $DURATION =~ ^[1-9][0-9]*$ ]] || die "DURATION must be a positive integer (seconds), got '$DURATION'"
[[ -f $PEERS_SH ]] || die "peers script not found: $PEERS_SH (shared/ is expected beside the repo)"
[[ -f $REPO/dist/cli/main.js ]] || die "dist/ is missing: run 'npm run build' (or use 'npm run bench')"

# ---------------------------------------------------------------- tools

missing_pkgs() {
  local pkgs=()
  command -v nginx >/dev/null || pkgs+=(nginx-light)
  command -v haproxy >/dev/null || pkgs+=(haproxy)
  command -v wrk >/dev/null || pkgs+=(wrk)
  command -v h2load >/dev/null || pkgs+=(nghttp2-client)
  echo "${pkgs[@]}"
}

pkgs=$(missing_pkgs)
if [[ -n $pkgs ]]; then
  [[ -n ${NO_INSTALL:-} ]] && die "missing packages: $pkgs (NO_INSTALL is set)"
  command -v apt-get >/dev/null || die "missing packages: $pkgs, and no apt-get to install them"
  SUDO=""; [[ $(id -u) == 0 ]] || SUDO=sudo
  log "installing: $pkgs"
  # shellcheck disable=SC2086
  if ! DEBIAN_FRONTEND=noninteractive timeout 600 $SUDO apt-get install -y --no-install-recommends $pkgs; then
    log "not found as is; apt-get update, then again"
    DEBIAN_FRONTEND=noninteractive timeout 600 $SUDO apt-get update || die "apt-get update failed"
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive timeout 600 $SUDO apt-get install -y --no-install-recommends $pkgs || die "apt-get install $pkgs failed"
  fi
  pkgs=$(missing_pkgs)
  [[ -z $pkgs ]] || die "still missing after install: $pkgs"
fi
for t in curl ss taskset setsid node; do command -v "$t" >/dev/null || die "missing tool: $t"; done

npm_peers_ok() {
  [[ -d $NODE_MODULES/http-proxy && -d $NODE_MODULES/fastify && -d $NODE_MODULES/@fastify/http-proxy ]]
}
if ! npm_peers_ok; then
  [[ -n ${NO_INSTALL:-} ]] && die "npm peers missing in $NODE_MODULES (NO_INSTALL is set)"
  scratch=$(dirname "$NODE_MODULES")
  log "installing npm peers into $scratch"
  mkdir -p "$scratch" || die "cannot create $scratch"
  ( cd "$scratch" && { [[ -f package.json ]] || npm init -y >/dev/null; } &&
    timeout 600 npm install --no-audit --no-fund http-proxy@1 fastify@4 @fastify/http-proxy@9 ) || die "npm install of the peers failed"
  npm_peers_ok || die "npm peers still missing in $NODE_MODULES"
fi

# ---------------------------------------------------------------- runs

npeers=$(( $(wc -w <<<"$PEERS") + 1 ))
# Per peer: warm-up, fixed-rate run (+1 s h2load warm-up, +stagger), saturation run, start/stop.
export MAX_TOTAL=${MAX_TOTAL:-$(( npeers * (2 * DURATION + WARMUP + 25) + 30 ))}
mkdir -p "$BENCH_DIR" || die "cannot create $BENCH_DIR"
log "$RUNS run(s) of peers.sh, DURATION=${DURATION}s, peers: $PEERS trellis; at most ${MAX_TOTAL}s each; raw output in $BENCH_DIR"
log "candidate: $CANDIDATE_CMD"

# What is measured: dist/ is built from the work tree, so record the commit and uncommitted data-plane files.
{ git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown
  git -C "$REPO" status --porcelain -- src/dataplane src/telemetry 2>/dev/null; } >"$BENCH_DIR/source.txt"

dirs=()
for ((r = 1; r <= RUNS; r++)); do
  dir=$BENCH_DIR/run-$r
  log "run $r/$RUNS"
  RESULTS_DIR=$dir timeout -k 10 $((MAX_TOTAL + 30)) bash "$PEERS_SH" >"$BENCH_DIR/run-$r.out" 2>"$BENCH_DIR/run-$r.err"
  rc=$?
  case $rc in
    0) ;;
    1) log "run $r: a peer was skipped or failed to start (see $BENCH_DIR/run-$r.err)" ;;
    130|124|137) log "run $r interrupted or timed out (exit $rc)"; [[ -s $dir/results.tsv ]] && dirs+=("$dir"); break ;;
    *) log "run $r failed (exit $rc):"; tail -5 "$BENCH_DIR/run-$r.err" >&2; continue ;;
  esac
  if [[ -s $dir/results.tsv ]]; then dirs+=("$dir"); else log "run $r produced no results"; fi
  ((r < RUNS)) && sleep 2
done
((${#dirs[@]} > 0)) || die "no run produced results (see $BENCH_DIR)"

cmd="DURATION=$DURATION RUNS=$RUNS npm run bench"
args=(--json "$REPO/bench/results/latest.json" --source "$BENCH_DIR/source.txt" --command "$cmd" --candidate "$CANDIDATE_CMD" --peers-sh "../shared/bench/peers.sh")
[[ -n ${NO_DOC:-} ]] || args+=(--doc "$REPO/docs/performance.md")
node "$REPO/bench/summarize.mjs" "${args[@]}" "${dirs[@]}" || die "summarize failed"
log "done: bench/results/latest.json${NO_DOC:+ (docs untouched)}${NO_DOC:- and docs/performance.md}; raw output in $BENCH_DIR"

# ---------------------------------------------------------------- scenarios (issue 3 item 2)
# Two hops, gateway, config push, 1000 endpoints/rules, 10-sidecar memory, cold start:
# bench/scenarios.sh (SCENARIOS=0 to skip; QUICK=1 for the small, short versions). The hops
# scenario uses this run's DURATION and RUNS.
if [[ ${SCENARIOS:-1} == 1 ]]; then
  log "scenarios: bash bench/scenarios.sh${QUICK:+ (QUICK=1)}"
  RUNS=$RUNS bash "$REPO/bench/scenarios.sh" || log "some scenarios failed (see above)"
fi
