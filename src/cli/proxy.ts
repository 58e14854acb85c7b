import type { Command } from 'commander'
import { SidecarProxy } from '../dataplane/sidecar-proxy.js'
import { exitWithParent } from './parent-watch.js'

export function registerProxy(program: Command): void {
  program.command('proxy')
    .description('Run one sidecar proxy in front of an app instance; joins with TRELLIS_TOKEN.')
    .requiredOption('--workload <name>', 'the Workload this instance belongs to')
    .requiredOption('--app-port <n>', 'the port the app listens on (127.0.0.1)')
    .option('--replica <i>', 'replica index', '0')
    .option('--inbound-port <n>', 'port of the inbound listener (default: free)')
    .option('--admin-port <n>', 'port of the admin server (default: free)')
    .option('--upstream-port <svc=port...>', 'local port of an upstream listener', [])
    .option('--control-plane <url>', 'control plane URL (default: TRELLIS_CONTROL_PLANE or http://127.0.0.1:15000)')
    .option('--parent-pid <pid>', 'exit when this process is gone')
    .addHelpText('after', '\nExample:\n  TRELLIS_TOKEN=$(trellis token create --workload orders) trellis proxy --workload orders --app-port 8080')
    .action(async (opts: { workload: string; appPort: string; replica: string; inboundPort?: string; adminPort?: string; upstreamPort: string[]; controlPlane?: string; parentPid?: string }) => {
      const upstreamPorts = new Map<string, number>()
      for (const pair of opts.upstreamPort) {
        const [svc, port] = pair.split('=')
        if (!svc || !Number(port)) throw new Error(`--upstream-port expects SERVICE=PORT, got "${pair}"`)
        upstreamPorts.set(svc, Number(port))
      }
      const token = process.env.TRELLIS_TOKEN
      if (!token) throw new Error('TRELLIS_TOKEN is not set; create one with `trellis token create`')
      const workload = opts.workload.includes('/') ? opts.workload : `default/${opts.workload}`
      const proxy = new SidecarProxy({
        workload, replica: Number(opts.replica), appPort: Number(opts.appPort),
        inboundPort: opts.inboundPort ? Number(opts.inboundPort) : undefined,
        adminPort: opts.adminPort ? Number(opts.adminPort) : undefined, upstreamPorts,
        controlPlane: opts.controlPlane ?? process.env.TRELLIS_CONTROL_PLANE ?? 'http://127.0.0.1:15000', token,
      })
      await proxy.start()
      let stopping = false
      const stop = () => {
        if (stopping) return
        stopping = true
        void proxy.stop(drainTimeout()).finally(() => process.exit(0))
      }
      process.once('SIGTERM', stop)
      process.once('SIGINT', stop)
      exitWithParent(opts.parentPid ? Number(opts.parentPid) : undefined, stop)
    })
}

function drainTimeout(): number { return Number(process.env.TRELLIS_DRAIN_TIMEOUT_MS ?? 10_000) }
