import type { Command } from 'commander'
import { withClientOptions } from './client-options.js'

export interface TapCliOptions { gateway?: string; max?: string; duration?: string; rate?: string; output: string; controlPlane?: string; state?: string }

export function registerTap(program: Command): void {
  withClientOptions(program.command('tap [service]'))
    .description('Stream live request summaries of SERVICE as its sidecars serve them, and as its callers refuse them: time, method, path, status, latency, source and destination identity, route, reason. With --gateway, every request one Gateway serves instead.')
    .option('--gateway <name>', 'tap this Gateway instead of a Service: every request it serves, including those it answers itself (no route, denied, rate limited, ...)')
    .option('--max <n>', 'stop after N requests')
    .option('--duration <duration>', 'stop after this long (e.g. 30s, 5m)')
    .option('--rate <n>', 'at most N summaries per second; more are dropped and counted', '100')
    .option('-o, --output <format>', 'table | json (one JSON object per line)', 'table')
    .addHelpText('after', [
      '',
      'Paths are shown without their query string. The source identity is the one mTLS proved; the',
      'route is the one the caller matched. Requests a caller (a sidecar or a gateway) answered itself',
      'before any instance (no route, denied, rate limited, no healthy endpoint, ...) are shown too, with',
      'their reason. Ctrl-C stops the tap.',
      '',
      'A Gateway tapped with --gateway shows each request it serves, with the client address, the Service',
      'of the backend it picked (- when none: no route, denied, ...), the route and the reason.',
      '',
      'Examples:',
      '  trellis tap orders',
      '  trellis tap orders --max 20',
      '  trellis tap orders --duration 1m -o json',
      '  trellis tap --gateway edge --max 20',
    ].join('\n'))
    .action(async (service: string | undefined, opts: TapCliOptions) => {
      if ((service === undefined) === (opts.gateway === undefined)) throw new Error('name a Service to tap, or a Gateway with --gateway NAME (one of the two)')
      if (!['table', 'json'].includes(opts.output)) throw new Error(`-o must be table or json, got "${opts.output}"`)
      const { runTap } = await import('./tap-run.js')
      process.exitCode = await runTap(service, opts)
    })
}
