#!/usr/bin/env bash
# bench/profile.sh: CPU profile of the standalone proxy under wrk load, on 127.0.0.1 only.
# nginx backend + `trellis proxy` (node --cpu-prof) pinned to PROXY_CPU, wrk on LOAD_CPU; the
# profile is summarized by bench/profile-top.mjs (self time by function and by file, inclusive
# time of the proxy's own stages). ALLOC=1: an allocation profile instead (bench/alloc-sampler.mjs,
# V8's sampling heap profiler over the measured run only), summarized by bench/alloc-top.mjs as
# bytes allocated per request, with the scavenges per 10k requests (--trace-gc).
#
#   bash bench/profile.sh                       # 10 s at -c50 after a 2 s warm-up
#   DURATION=5 PROXY_ENTRY=/tmp/variant/bin/trellis.js bash bench/profile.sh
#   ALLOC=1 NODE_FLAGS=--max-semi-space-size=2 bash bench/profile.sh
#
# Settings: DURATION [10] WARMUP [2] CONNS [50] LOAD_CPU [1] PROXY_CPU [0]
#   PROF_DIR [/tmp/trellis-prof-<timestamp>] PROXY_ENTRY [<repo>/bin/trellis.js]
#   LISTEN_PORT [18200] BACKEND_PORT [18180] NODE_FLAGS [] extra flags for node
# Every process started here is stopped by PID at the end; the whole script is bounded by timeouts.
set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
CONNS=${CONNS:-50}
LOAD_CPU=${LOAD_CPU:-1}
PROXY_CPU=${PROXY_CPU:-0}
LISTEN_PORT=${LISTEN_PORT:-18200}
BACKEND_PORT=${BACKEND_PORT:-18180}
PROF_DIR=${PROF_DIR:-/tmp/trellis-prof-$(date +%Y%m%d-%H%M%S)}
PROXY_ENTRY=${PROXY_ENTRY:-$REPO/bin/trellis.js}
NODE_FLAGS=${NODE_FLAGS:-}
ALLOC=${ALLOC:-}

log() { printf '[profile %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
for t in nginx wrk curl taskset setsid node; do command -v "$t" >/dev/null || { log "missing $t (run bench/run.sh once)"; exit 2; }; done

mkdir -p "$PROF_DIR/nginx/logs" || exit 2
cat >"$PROF_DIR/nginx/nginx.conf" <<EOF
worker_processes 1;
pid $PROF_DIR/nginx/nginx.pid;
error_log $PROF_DIR/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 10000000;
  keepalive_timeout 120s;
  client_body_temp_path $PROF_DIR/nginx/tmp_body;
  proxy_temp_path $PROF_DIR/nginx/tmp_proxy;
  fastcgi_temp_path $PROF_DIR/nginx/tmp_fcgi;
  uwsgi_temp_path $PROF_DIR/nginx/tmp_uwsgi;
  scgi_temp_path $PROF_DIR/nginx/tmp_scgi;
  server { listen 127.0.0.1:$BACKEND_PORT; location / { default_type text/plain; return 200 "ok"; } }
}
EOF

PIDS=()
stop_all() {
  local p i
  for p in "${PIDS[@]}"; do kill -TERM -- "-$p" 2>/dev/null; done
  for i in $(seq 100); do
    local alive=0
    for p in "${PIDS[@]}"; do [[ -d /proc/$p ]] && alive=1; done
    ((alive)) || break
    sleep 0.1
  done
  for p in "${PIDS[@]}"; do kill -KILL -- "-$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  PIDS=()
}
trap stop_all EXIT
trap 'exit 130' INT TERM

wait_200() {
  local i
  for i in $(seq 600); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$1/") == 200 ]] && return 0
    sleep 0.05
  done
  return 1
}

setsid taskset -c "$PROXY_CPU" nginx -p "$PROF_DIR/nginx/" -e "$PROF_DIR/nginx/logs/error.log" -c "$PROF_DIR/nginx/nginx.conf" -g 'daemon off;' \
  >"$PROF_DIR/nginx.log" 2>&1 </dev/null &
PIDS+=("$!")
wait_200 "$BACKEND_PORT" || { log "backend did not start"; exit 2; }

if [[ -n $ALLOC ]]; then PROF_FLAGS="--trace-gc --import $REPO/bench/alloc-sampler.mjs"; else PROF_FLAGS="--cpu-prof --cpu-prof-dir=$PROF_DIR"; fi
# shellcheck disable=SC2086
setsid taskset -c "$PROXY_CPU" env TRELLIS_DRAIN_TIMEOUT_MS=500 ALLOC_OUT="$PROF_DIR/alloc.heapprofile" node $PROF_FLAGS $NODE_FLAGS \
  "$PROXY_ENTRY" proxy --listen "127.0.0.1:$LISTEN_PORT" --upstream "http://127.0.0.1:$BACKEND_PORT" \
  >"$PROF_DIR/proxy.log" 2>&1 </dev/null &
PROXY_PID=$!
PIDS+=("$PROXY_PID")
wait_200 "$LISTEN_PORT" || { log "proxy did not start (see $PROF_DIR/proxy.log)"; exit 2; }

ticks() { sed 's/^.*) //' /proc/"$1"/stat | awk '{print $12 + $13}'; }
timeout -k 2 $((WARMUP + 15)) taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNS" -d"$WARMUP"s "http://127.0.0.1:$LISTEN_PORT/" >/dev/null 2>&1
if [[ -n $ALLOC ]]; then kill -USR2 "$PROXY_PID"; sleep 0.3; fi
scav0=$(grep -c Scavenge "$PROF_DIR/proxy.log")
c0=$(ticks "$PROXY_PID")
timeout -k 2 $((DURATION + 15)) taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNS" -d"$DURATION"s --latency "http://127.0.0.1:$LISTEN_PORT/" >"$PROF_DIR/wrk.txt" 2>&1
c1=$(ticks "$PROXY_PID")
scav1=$(grep -c Scavenge "$PROF_DIR/proxy.log")
rps=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$PROF_DIR/wrk.txt")
cpu=$(awk -v a="$c0" -v b="$c1" -v hz="$(getconf CLK_TCK)" -v d="$DURATION" 'BEGIN {printf "%.3f", (b - a) / hz / d}')
log "profiled run: $rps req/s, proxy CPU $cpu cores, $(awk -v r="$rps" -v c="$cpu" 'BEGIN {printf "%.0f", (c > 0 ? r / c : 0)}') req per proxy CPU-s (profiler on)"

if [[ -n $ALLOC ]]; then
  kill -USR2 "$PROXY_PID"
  for _ in $(seq 100); do [[ -s $PROF_DIR/alloc.heapprofile ]] && break; sleep 0.1; done
  stop_all
  [[ -s $PROF_DIR/alloc.heapprofile ]] || { log "no allocation profile written (see $PROF_DIR/proxy.log)"; exit 1; }
  requests=$(awk '/requests in/ {print $1}' "$PROF_DIR/wrk.txt")
  log "allocation profile: $PROF_DIR/alloc.heapprofile; $(awk -v s=$((scav1 - scav0)) -v r="$requests" 'BEGIN {printf "%.1f", s * 10000 / r}') scavenges per 10k requests"
  node "$REPO/bench/alloc-top.mjs" "$PROF_DIR/alloc.heapprofile" "$requests"
  exit 0
fi

# SIGTERM: the proxy drains and exits, which writes the profile.
kill -TERM "$PROXY_PID" 2>/dev/null
for _ in $(seq 100); do [[ -d /proc/$PROXY_PID ]] || break; sleep 0.1; done
stop_all
prof=$(ls -t "$PROF_DIR"/*.cpuprofile 2>/dev/null | head -1)
[[ -n $prof ]] || { log "no profile written (see $PROF_DIR/proxy.log)"; exit 1; }
log "profile: $prof"
node "$REPO/bench/profile-top.mjs" "$prof"
