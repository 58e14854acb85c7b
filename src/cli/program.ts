// The `trellis` program every entry point shares: its name, description, version and how a failed
// command ends. main.ts registers every command; proxy-main.ts and gateway-main.ts only their own.
import { Command } from 'commander'

export function newProgram(): Command {
  return new Command()
    .name('trellis')
    .description('A service mesh and API gateway for unmodified apps.')
    .version('0.1.0')
    .showHelpAfterError()
}

export function run(program: Command): void {
  program.parseAsync(process.argv).catch(err => {
    process.stderr.write(`trellis: ${(err as Error).message}\n`)
    process.exit(1)
  })
}
