import type { Command } from 'commander'

export function registerUp(program: Command): void {
  program.command('up')
    .description('Run the whole mesh on this machine: control plane, every Workload with its sidecars, every Gateway.')
    .option('-f, --file <path...>', 'config files or folders', ['trellis.yaml'])
    .option('--state <dir>', 'state folder (store, admin token, CA)', '.trellis')
    .option('--listen <addr>', 'control-plane address (default: Mesh.spec.controlPlane.listen)')
    .addHelpText('after', '\nPrints "ready" once every replica is healthy and every proxy runs the current config.\nCtrl-C drains and stops everything.\n\nExample:\n  trellis up -f examples/shop')
    .action(async (opts: { file: string[]; state: string; listen?: string }) => {
      const { up } = await import('../supervisor/up.js')
      process.exitCode = await up({ files: opts.file, stateDir: opts.state, listen: opts.listen })
      process.exit()
    })
}
