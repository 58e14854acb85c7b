import type { Command } from 'commander'
import { stopOnSignal } from './stop-on-signal.js'

export function registerGateway(program: Command): void {
  program.command('gateway <name>')
    .description('Run the gateway proxy for the Gateway NAME; joins with TRELLIS_TOKEN.')
    .option('--admin-port <n>', 'port of the admin server (default: free)')
    .option('--listen-address <addr>', 'address the listeners bind', '127.0.0.1')
    .option('--control-plane <url>', 'control plane URL (default: TRELLIS_CONTROL_PLANE or http://127.0.0.1:15000)')
    .option('--parent-pid <pid>', 'exit when this process is gone')
    .action(async (name: string, opts: { adminPort?: string; listenAddress: string; controlPlane?: string; parentPid?: string }) => {
      const token = process.env.TRELLIS_TOKEN
      if (!token) throw new Error('TRELLIS_TOKEN is not set; create one with `trellis token create`')
      const { GatewayProxy } = await import('../gateway/gateway-proxy.js')
      const gw = new GatewayProxy({
        gateway: name.includes('/') ? name : `default/${name}`, token, listenAddress: opts.listenAddress,
        adminPort: opts.adminPort ? Number(opts.adminPort) : undefined,
        controlPlane: opts.controlPlane ?? process.env.TRELLIS_CONTROL_PLANE ?? 'http://127.0.0.1:15000',
      })
      await gw.start()
      stopOnSignal(() => gw.stop(gw.drainTimeoutMs), opts.parentPid)
    })
}
