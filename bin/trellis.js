#!/usr/bin/env node
// CommonJS (bin/package.json), so that `trellis proxy` and `trellis gateway`, which run beside
// every app, start from a CommonJS bundle without Node's ES-module loader (~0.6 MB less memory per
// proxy, docs/performance.md). Every other command runs from the ES-module bundle.
const command = process.argv[2]
if (command === 'proxy') require('../dist/bundle/proxy.cjs')
else if (command === 'gateway') require('../dist/bundle/gateway.cjs')
else import('../dist/bundle/main.js')
