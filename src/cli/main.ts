// Entry point: argv → command. Each command lives in its own file and stays thin; its definition
// (flags, --help) loads here, its implementation only inside its action (`await import()`), so
// `trellis proxy` starts without the control plane, the config compiler or the supervisor.
// `trellis proxy` and `trellis gateway` normally start from their own entries (proxy-main.ts,
// gateway-main.ts; see bin/trellis.js); they are registered here too, for `trellis --help`.
import { newProgram, run } from './program.js'
import { registerValidate } from './validate.js'
import { registerUp } from './up.js'
import { registerControlPlane } from './control-plane.js'
import { registerProxy } from './proxy.js'
import { registerGateway } from './gateway.js'
import { registerApply } from './apply.js'
import { registerGet } from './get.js'
import { registerToken } from './token.js'
import { registerRollout } from './rollout.js'
import { registerCheck } from './check.js'
import { registerStat } from './stat.js'
import { registerTap } from './tap.js'
import { registerApiKey } from './apikey.js'

const program = newProgram()
for (const register of [registerUp, registerValidate, registerApply, registerGet, registerStat, registerTap, registerControlPlane, registerProxy, registerGateway, registerToken, registerRollout, registerCheck, registerApiKey]) {
  register(program)
}
run(program)
