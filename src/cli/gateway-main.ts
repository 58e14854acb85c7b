// Entry point of `trellis gateway` alone (bin/trellis.js picks it), built like proxy-main.ts.
import { newProgram, run } from './program.js'
import { registerGateway } from './gateway.js'

const program = newProgram()
registerGateway(program)
run(program)
