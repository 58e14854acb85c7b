import type { Command } from 'commander'
import { stopOnSignal } from './stop-on-signal.js'

// The data plane is imported when the command runs, so other commands and --help never load it.

export function registerProxy(program: Command): void {
  program.command('proxy')
    .description('Run one sidecar proxy in front of an app instance; joins with TRELLIS_TOKEN. With --listen and --upstream: a standalone proxy, no control plane.')
    .option('--workload <name>', 'the Workload this instance belongs to (required unless --listen/--upstream)')
    .option('--app-port <n>', 'the port the app listens on (127.0.0.1) (required unless --listen/--upstream)')
    .option('--listen <host:port>', 'standalone mode: address to listen on')
    .option('--upstream <url>', 'standalone mode: forward every request to http://HOST:PORT')
    .option('--replica <i>', 'replica index', '0')
    .option('--inbound-port <n>', 'port of the inbound listener (default: free)')
    .option('--admin-port <n>', 'port of the admin server (default: free)')
    .option('--upstream-port <svc=port...>', 'local port of an upstream listener', [])
    .option('--control-plane <url>', 'control plane URL (default: TRELLIS_CONTROL_PLANE or http://127.0.0.1:15000)')
    .option('--parent-pid <pid>', 'exit when this process is gone')
    .option('--incarnation <id>', 'identifies this start of the replica; a replacement started beside it has another')
    .addHelpText('after', '\nExample:\n  TRELLIS_TOKEN=$(trellis token create --workload orders) trellis proxy --workload orders --app-port 8080\n  trellis proxy --listen 127.0.0.1:8081 --upstream http://127.0.0.1:8080 --admin-port 9901')
    .action(async (opts: { workload?: string; appPort?: string; listen?: string; upstream?: string; replica: string; inboundPort?: string; adminPort?: string; upstreamPort: string[]; controlPlane?: string; parentPid?: string; incarnation?: string }) => {
      if (opts.listen !== undefined || opts.upstream !== undefined) return runStatic(opts)
      if (!opts.workload || !opts.appPort) throw new Error('proxy needs --workload and --app-port (or --listen and --upstream for a standalone proxy)')
      const upstreamPorts = new Map<string, number>()
      for (const pair of opts.upstreamPort) {
        const [svc, port] = pair.split('=')
        if (!svc || !Number(port)) throw new Error(`--upstream-port expects SERVICE=PORT, got "${pair}"`)
        upstreamPorts.set(svc, Number(port))
      }
      const token = process.env.TRELLIS_TOKEN
      if (!token) throw new Error('TRELLIS_TOKEN is not set; create one with `trellis token create`')
      const workload = opts.workload.includes('/') ? opts.workload : `default/${opts.workload}`
      const { SidecarProxy } = await import('../dataplane/sidecar-proxy.js')
      const proxy = new SidecarProxy({
        workload, replica: Number(opts.replica), appPort: Number(opts.appPort),
        inboundPort: opts.inboundPort ? Number(opts.inboundPort) : undefined,
        adminPort: opts.adminPort ? Number(opts.adminPort) : undefined, upstreamPorts, incarnation: opts.incarnation,
        controlPlane: opts.controlPlane ?? process.env.TRELLIS_CONTROL_PLANE ?? 'http://127.0.0.1:15000', token,
      })
      await proxy.start()
      stopOnSignal(() => proxy.stop(proxy.drainTimeoutMs), opts.parentPid)
    })
}

async function runStatic(opts: { listen?: string; upstream?: string; adminPort?: string; parentPid?: string }): Promise<void> {
  if (!opts.listen || !opts.upstream) throw new Error('a standalone proxy needs both --listen HOST:PORT and --upstream http://HOST:PORT')
  const { StaticProxy, parseListen } = await import('../dataplane/static-proxy.js')
  const { host, port } = parseListen(opts.listen)
  const proxy = new StaticProxy({ listenHost: host, listenPort: port, upstream: opts.upstream, adminPort: opts.adminPort ? Number(opts.adminPort) : 0 })
  await proxy.start()
  process.stderr.write(`trellis proxy: ${host}:${proxy.port} -> ${opts.upstream}; admin 127.0.0.1:${proxy.adminPort}\n`)
  stopOnSignal(() => proxy.stop(drainTimeout()), opts.parentPid)
}

function drainTimeout(): number { return Number(process.env.TRELLIS_DRAIN_TIMEOUT_MS ?? 10_000) }
