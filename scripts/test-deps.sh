#!/usr/bin/env bash
# Debian packages the test suite needs, installed only when missing (needs root, or sudo):
#   openssl       test certificates
#   redis-server  rate limits shared through Redis (the tests start their own on a free port)
#   etcd-server   the replicated control-plane store (likewise)
#   chromium      the dashboard test drives /usr/bin/chromium with playwright-core
set -euo pipefail
need=()
command -v openssl >/dev/null || need+=(openssl)
command -v redis-server >/dev/null || need+=(redis-server)
command -v etcd >/dev/null || need+=(etcd-server)
command -v chromium >/dev/null || need+=(chromium)
[ ${#need[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq "${need[@]}"
