import type { Command } from 'commander'
import { adminClient, withClientOptions } from './client-options.js'

export function registerToken(program: Command): void {
  const token = program.command('token').description('Join tokens for proxies and gateways started by hand.')
  withClientOptions(token.command('create'))
    .description('Ask the control plane for a join token and print it, alone on stdout.')
    .option('--workload <name>', 'limit the token to one Workload')
    .option('--ttl <duration>', 'how long the token is valid', '24h')
    .addHelpText('after', '\nExample:\n  TRELLIS_TOKEN=$(trellis token create --workload orders) trellis proxy --workload orders --app-port 8080')
    .action(async (opts: { workload?: string; ttl: string; controlPlane?: string; state?: string }) => {
      const { parseDuration } = await import('../config/index.js')
      const ttl = parseDuration(opts.ttl)
      if (ttl === null || ttl <= 0) throw new Error(`--ttl: "${opts.ttl}" is not a duration; use a string such as "1h" or "30m"`)
      const res = await (await adminClient(opts)).call<{ token?: string; error?: string }>('POST', '/api/v1/tokens', { workload: opts.workload ?? null, ttlMs: ttl })
      if (res.status !== 201 || !res.body.token) throw new Error(res.body.error ?? `control plane answered ${res.status}`)
      process.stdout.write(res.body.token + '\n')
    })
}
