// Entry point: argv → command. Each command lives in its own file and stays thin; its definition
// (flags, --help) loads here, its implementation only inside its action (`await import()`), so
// `trellis proxy` starts without the control plane, the config compiler or the supervisor.
import { Command } from 'commander'
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

const program = new Command()
program
  .name('trellis')
  .description('A service mesh and API gateway for unmodified apps.')
  .version('0.1.0')
  .showHelpAfterError()

for (const register of [registerUp, registerValidate, registerApply, registerGet, registerStat, registerTap, registerControlPlane, registerProxy, registerGateway, registerToken, registerRollout, registerCheck, registerApiKey]) {
  register(program)
}

program.parseAsync(process.argv).catch(err => {
  process.stderr.write(`trellis: ${(err as Error).message}\n`)
  process.exit(1)
})
