import type { Command } from 'commander'
import { adminClient, withClientOptions } from './client-options.js'

export function registerRollout(program: Command): void {
  const rollout = program.command('rollout').description('Rolling operations on Workloads run by `trellis up`.')
  withClientOptions(rollout.command('restart <workload>'))
    .description('Replace every replica of WORKLOAD one at a time: each new replica starts and becomes ready before the old one is drained and stopped.')
    .option('--wait', 'return once every replica has been replaced')
    .addHelpText('after', '\nExample:\n  trellis rollout restart orders-v1 --wait')
    .action(async (workload: string, opts: { wait?: boolean; controlPlane?: string; state?: string }) => {
      const client = await adminClient(opts)
      const before = await client.call<{ items: { workload: string; incarnation: string }[] }>('GET', '/api/v1/instances')
      const res = await client.call<{ workload: string; generation: number; error?: string }>('POST', '/api/v1/rollout/restart', { workload })
      if (res.status !== 200) throw new Error(res.body.error ?? `control plane answered ${res.status}`)
      process.stdout.write(`${res.body.workload} restart ${res.body.generation} requested\n`)
      if (!opts.wait) return
      const old = new Set(before.body.items.filter(i => i.workload === res.body.workload).map(i => i.incarnation))
      const deadline = Date.now() + 300_000
      for (;;) {
        const now = await client.call<{ items: { workload: string; incarnation: string; ready: boolean }[] }>('GET', '/api/v1/instances')
        const mine = now.body.items.filter(i => i.workload === res.body.workload)
        if (mine.length > 0 && mine.every(i => !old.has(i.incarnation) && i.ready)) break
        if (Date.now() > deadline) throw new Error('rollout did not finish within 5 minutes')
        await new Promise(r => setTimeout(r, 200))
      }
      process.stdout.write(`${res.body.workload} rolled out\n`)
    })
}
