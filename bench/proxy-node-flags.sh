#!/usr/bin/env bash
# Prints the node flags `trellis up` gives proxy processes (src/supervisor/proxy-node-flags.ts, built
# into dist/), so that every benchmark runs proxies as users get them, from one definition.
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
node --input-type=module -e "import { PROXY_NODE_FLAGS } from '$REPO/dist/supervisor/proxy-node-flags.js'; console.log(PROXY_NODE_FLAGS.join(' '))"
