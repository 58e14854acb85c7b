import type { Command } from 'commander'

export function registerValidate(program: Command): void {
  program.command('validate')
    .description('Check config documents without running anything.')
    .requiredOption('-f, --file <path...>', 'a file or folder of YAML/JSON documents')
    .option('--print-ir', 'print the compiled intermediate representation as JSON')
    .addHelpText('after', '\nExamples:\n  trellis validate -f examples/shop\n  trellis validate -f mesh.yaml --print-ir')
    .action(async (opts: { file: string[]; printIr?: boolean }) => {
      const [{ loadAndCompile }, { formatDiagnostic }] = await Promise.all([import('../config/index.js'), import('../ir/index.js')])
      const result = loadAndCompile(opts.file)
      const errors = result.diagnostics.filter(d => d.severity === 'error')
      for (const d of result.diagnostics) if (d.severity === 'warning') process.stderr.write(`warning: ${formatDiagnostic(d)}\n`)
      for (const d of errors) process.stderr.write(`${formatDiagnostic(d)}\n`)
      if (errors.length) { process.exitCode = 1; return }
      if (opts.printIr) process.stdout.write(JSON.stringify(result.ir, null, 2) + '\n')
      process.stdout.write(`ok: ${result.resources.length} resources\n`)
    })
}
