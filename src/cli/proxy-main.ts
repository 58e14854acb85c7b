// Entry point of `trellis proxy` alone (bin/trellis.js picks it): built as a CommonJS bundle of its
// own, so a sidecar loads neither Node's ES-module loader nor any other command (docs/performance.md).
import { newProgram, run } from './program.js'
import { registerProxy } from './proxy.js'

const program = newProgram()
registerProxy(program)
run(program)
