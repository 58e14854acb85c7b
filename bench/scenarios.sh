#!/usr/bin/env bash
# bench/scenarios.sh: the Trellis-specific runs of issue 3 item 2, one script each in
# bench/scenarios/, then bench/results/scenarios.json and the generated section of
# docs/performance.md (between the scenarios markers; bench/scenarios/summarize.mjs).
#
#   bash bench/scenarios.sh                      # every scenario, full size (~15 min on 2 cores)
#   QUICK=1 bash bench/scenarios.sh              # smaller and shorter (~3 min)
#   SCENARIOS_ONLY="push memory" bash bench/scenarios.sh
#
#   hops        (a) client sidecar -> server sidecar -> app and (b) gateway -> sidecar -> app, as
#               ../shared/bench/peers.sh candidates beside direct and node:http (and one hop)
#   push        (c) `trellis up` with 50 sidecars, 20 canary-weight changes under 1000 req/s:
#               time-to-ack per proxy, failed requests
#   scale       (d) 1000 endpoints + 1000 route rules: compile time, proxy memory delta, p99
#   memory      (e) 10 sidecars: RSS, RssAnon, PSS idle and after load
#   cold-start  (f) spawn to first proxied 200, standalone and sidecar, vs bare node:http
#
# Settings: QUICK [unset]  SCENARIOS_ONLY [all]  OUT_DIR [/tmp/trellis-sc-<ts>]
#   NO_DOC [unset]: write bench/results/scenarios.json only; each script has its own settings
#   (see its header). Every script runs under `timeout` and stops every process it started;
#   everything listens on 127.0.0.1 only. Benchmarks are not tests: nothing here runs in `npm test`.
set -uo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO" || exit 2
export QUICK=${QUICK:-}
ALL="hops push scale memory cold-start"
SCENARIOS_ONLY=${SCENARIOS_ONLY:-$ALL}
OUT_DIR=${OUT_DIR:-/tmp/trellis-sc-$(date +%Y%m%d-%H%M%S)}
log() { printf '[scenarios %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

[[ -f $REPO/dist/cli/main.js ]] || { log "dist/ is missing: run 'npm run build'"; exit 2; }
for t in node curl ss wrk h2load taskset; do command -v "$t" >/dev/null || { log "missing tool: $t (bench/run.sh installs it)"; exit 2; }; done
mkdir -p "$OUT_DIR"

limit() { # seconds allowed per scenario (the scripts also stop themselves earlier)
  case $1 in
    hops) [[ $QUICK == 1 ]] && echo 1200 || echo 2400 ;;   # includes waiting for another peers.sh
    push) [[ $QUICK == 1 ]] && echo 700 || echo 1300 ;;
    scale) [[ $QUICK == 1 ]] && echo 300 || echo 600 ;;
    memory) [[ $QUICK == 1 ]] && echo 300 || echo 500 ;;
    cold-start) [[ $QUICK == 1 ]] && echo 150 || echo 300 ;;
  esac
}

outs=(); failed=0
for s in $SCENARIOS_ONLY; do
  case $s in
    hops) cmd=(bash bench/scenarios/hops.sh) ;;
    push|scale|memory|cold-start) cmd=(node "bench/scenarios/$s.mjs") ;;
    *) log "unknown scenario $s (one of: $ALL)"; failed=$((failed + 1)); continue ;;
  esac
  log "$s: ${cmd[*]} (limit $(limit "$s") s; log $OUT_DIR/$s.log)"
  t0=$(date +%s)
  OUT="$OUT_DIR/$s.json" BENCH_DIR="$OUT_DIR/hops" timeout -k 15 "$(limit "$s")" "${cmd[@]}" >/dev/null 2>"$OUT_DIR/$s.log"
  rc=$?
  if ((rc == 0)) && [[ -s $OUT_DIR/$s.json ]]; then outs+=("$OUT_DIR/$s.json"); log "$s: done in $(( $(date +%s) - t0 )) s"
  else failed=$((failed + 1)); log "$s: FAILED (exit $rc); last lines of its log:"; tail -5 "$OUT_DIR/$s.log" >&2; fi
done

cmd="${QUICK:+QUICK=1 }bash bench/scenarios.sh"
args=(--json "$REPO/bench/results/scenarios.json" --command "$cmd")
[[ -n ${NO_DOC:-} ]] || args+=(--doc "$REPO/docs/performance.md")
if ((${#outs[@]})); then
  node "$REPO/bench/scenarios/summarize.mjs" "${args[@]}" "${outs[@]}" >"$OUT_DIR/section.md" || { log "summarize failed"; exit 2; }
  log "written: bench/results/scenarios.json${NO_DOC:- and docs/performance.md}; raw output in $OUT_DIR"
fi
((failed == 0)) || { log "$failed scenario(s) failed"; exit 1; }
