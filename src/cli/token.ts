import type { Command } from 'commander'
import { resolve } from 'node:path'
import { Credentials } from '../controlplane/auth.js'
import { parseDuration } from '../config/index.js'

export function registerToken(program: Command): void {
  const token = program.command('token').description('Join tokens for proxies and gateways started by hand.')
  token.command('create')
    .description('Print a join token, alone on stdout.')
    .option('--workload <name>', 'limit the token to one Workload')
    .option('--ttl <duration>', 'how long the token is valid', '24h')
    .option('--state <dir>', 'state folder of the control plane', '.trellis')
    .action((opts: { workload?: string; ttl: string; state: string }) => {
      const ttl = parseDuration(opts.ttl)
      if (typeof ttl !== 'number') throw new Error(`--ttl: "${opts.ttl}" is not a duration; use a string such as "1h" or "30m"`)
      const creds = Credentials.loadOrCreate(resolve(opts.state))
      const workload = opts.workload ? (opts.workload.includes('/') ? opts.workload : `default/${opts.workload}`) : null
      process.stdout.write(creds.createJoinToken(workload, ttl, Date.now()) + '\n')
    })
}
