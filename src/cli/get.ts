import type { Command } from 'commander'
import { adminClient, withClientOptions } from './client-options.js'
import { renderTable } from './table.js'

export function registerGet(program: Command): void {
  withClientOptions(program.command('get <kind> [name]'))
    .description('Read resources and live state: services, workloads, routes, policies, gateways, instances, proxies, …')
    .option('-o, --output <format>', 'table | yaml | json', 'table')
    .addHelpText('after', '\nExamples:\n  trellis get instances\n  trellis get proxies -o json\n  trellis get routes orders-canary -o yaml')
    .action(async (kind: string, name: string | undefined, opts: { output: string; controlPlane?: string; state?: string }) => {
      if (!['table', 'yaml', 'json'].includes(opts.output)) throw new Error(`-o must be table, yaml or json, got "${opts.output}"`)
      // Proxies and instances are live state, read whole and matched here by part of their name.
      const live = ['proxies', 'instances'].includes(kind.toLowerCase())
      const path = `/api/v1/${encodeURIComponent(kind.toLowerCase())}${name && !live ? `/${encodeURIComponent(name)}` : ''}`
      const res = await (await adminClient(opts)).call<{ items: Record<string, unknown>[]; error?: string }>('GET', path)
      if (res.status !== 200) throw new Error(res.body.error ?? `control plane answered ${res.status}`)
      let items = res.body.items
      if (name && live) items = items.filter(i => String(i.name).includes(name))
      if (opts.output === 'json') process.stdout.write(JSON.stringify({ items }, null, 2) + '\n')
      else if (opts.output === 'yaml') process.stdout.write((await import('yaml')).stringify({ items }))
      else process.stdout.write(renderTable(kind, items))
    })
}
