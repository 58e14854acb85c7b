import type { Command } from 'commander'
import { withClientOptions } from './client-options.js'

export function registerCheck(program: Command): void {
  withClientOptions(program.command('check'))
    .description('Diagnose a running mesh: control plane, proxies on the latest config, certificates, routes pointing nowhere.')
    .addHelpText('after', '\nExit status 0 when every check passes, 1 otherwise.\n\nExample:\n  trellis check')
    .action(async (opts: { controlPlane?: string; state?: string }) => {
      const { runChecks } = await import('./check-run.js')
      process.exitCode = await runChecks(opts)
    })
}
