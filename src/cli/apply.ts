import type { Command } from 'commander'
import { adminClient, withClientOptions } from './client-options.js'

interface ApplyBody { version: number; changes: { key: string; action: string }[]; errors: string[]; warnings: string[]; acked?: boolean; error?: string }

export function registerApply(program: Command): void {
  for (const mode of ['apply', 'delete'] as const) {
    withClientOptions(program.command(mode))
      .description(mode === 'apply'
        ? 'Create or replace the given documents in the running mesh; others are left alone.'
        : 'Remove the given documents from the running mesh.')
      .requiredOption('-f, --file <path...>', 'a file or folder of YAML/JSON documents')
      .option('--wait', 'return once every proxy has acknowledged the change')
      .addHelpText('after', `\nInvalid input is refused whole; the running config stays as it was.\n\nExample:\n  trellis ${mode} -f routes/canary.yaml${mode === 'apply' ? ' --wait' : ''}`)
      .action(async (opts: { file: string[]; wait?: boolean; controlPlane?: string; state?: string }) => {
        // The control plane validates the documents merged with what it already holds, so references
        // to resources applied earlier resolve; errors come back with this command's file paths.
        const [{ readSources }, { formatDiagnostic }] = await Promise.all([import('../config/index.js'), import('../ir/index.js')])
        const read = readSources(opts.file)
        const readErrors = read.diagnostics.filter(d => d.severity === 'error')
        if (readErrors.length) { for (const d of readErrors) process.stderr.write(`${formatDiagnostic(d)}\n`); process.exitCode = 1; return }
        const client = await adminClient(opts)
        const res = await client.call<ApplyBody>('POST', `/api/v1/${mode}${opts.wait ? '?wait=1' : ''}`, { sources: read.sources })
        const body = res.body
        for (const w of body.warnings ?? []) process.stderr.write(`warning: ${w}\n`)
        if (res.status === 422) { for (const e of body.errors) process.stderr.write(`${e}\n`); process.exitCode = 1; return }
        if (res.status >= 400 && res.status !== 504) { process.stderr.write(`trellis ${mode}: ${body.error ?? res.status}\n`); process.exitCode = 1; return }
        for (const c of body.changes) process.stdout.write(`${c.key} ${c.action}\n`)
        process.stdout.write(`version ${body.version}${opts.wait ? (body.acked ? ', acknowledged by every proxy' : ', NOT acknowledged by every proxy in time') : ''}\n`)
        if (opts.wait && !body.acked) process.exitCode = 1
      })
  }
}
