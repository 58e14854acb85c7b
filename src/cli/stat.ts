import type { Command } from 'commander'
import { adminClient, withClientOptions } from './client-options.js'

export function registerStat(program: Command): void {
  withClientOptions(program.command('stat [service]'))
    .description('Golden signals per Service (with SERVICE: per route, caller and instance): requests per second, success rate, p50/p95/p99 latency over a window.')
    .option('--window <duration>', 'how far back to look (1s to 10m)', '30s')
    .option('-o, --output <format>', 'table | json', 'table')
    .addHelpText('after', [
      '',
      'A Service\'s own numbers come from its sidecars\' inbound side; routes are seen by the callers',
      '(sidecars and gateways) that matched them; callers are identified by the identity mTLS proved.',
      'Success rate: the share of answers that were not 5xx.',
      '',
      'Examples:',
      '  trellis stat',
      '  trellis stat orders --window 1m',
      '  trellis stat orders -o json',
    ].join('\n'))
    .action(async (service: string | undefined, opts: { window: string; output: string; controlPlane?: string; state?: string }) => {
      if (!['table', 'json'].includes(opts.output)) throw new Error(`-o must be table or json, got "${opts.output}"`)
      const path = `/api/v1/stats${service ? `/${encodeURIComponent(service)}` : ''}?window=${encodeURIComponent(opts.window)}`
      const res = await (await adminClient(opts)).call<Record<string, unknown> & { error?: string }>('GET', path)
      if (res.status !== 200) throw new Error(res.body.error ?? `control plane answered ${res.status}`)
      if (opts.output === 'json') { process.stdout.write(JSON.stringify(res.body, null, 2) + '\n'); return }
      const { renderStats } = await import('./stat-view.js')
      process.stdout.write(renderStats(res.body as never))
    })
}
