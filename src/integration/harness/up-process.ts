// Runs `trellis up` as a real child process, the way a user does, and waits for its `ready` line.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const CLI = fileURLToPath(new URL('../../../bin/trellis.js', import.meta.url))
export const REPO = fileURLToPath(new URL('../../../', import.meta.url))

export class UpProcess {
  readonly child: ChildProcess
  stdout = ''
  stderr = ''
  readonly exited: Promise<number | null>

  constructor(readonly cwd: string, args: readonly string[]) {
    this.child = spawn(process.execPath, [CLI, 'up', ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    this.child.stdout!.setEncoding('utf8').on('data', (d: string) => { this.stdout += d })
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => { this.stderr += d })
    this.exited = new Promise(resolve => this.child.once('exit', code => resolve(code)))
  }

  async ready(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline) {
      if (/^ready$/m.test(this.stdout)) return
      if (this.child.exitCode !== null) throw new Error(`up exited ${this.child.exitCode}:\n${this.stderr}\n${this.stdout}`)
      await new Promise(r => setTimeout(r, 50))
    }
    throw new Error(`up not ready after ${timeoutMs} ms:\n${this.stderr}\n${this.stdout.slice(-3000)}`)
  }

  /** SIGTERM and wait for the exit code (SIGKILL after the bound, which fails the test). */
  async stop(timeoutMs = 30_000): Promise<number | null> {
    if (this.child.exitCode !== null) return this.child.exitCode
    this.child.kill('SIGTERM')
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs)
    const code = await this.exited
    clearTimeout(timer)
    return code
  }
}

/** Runs a CLI command to completion. */
export function trellis(cwd: string, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const res = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 60_000 })
  return { status: res.status, stdout: res.stdout, stderr: res.stderr }
}

/** Runs a CLI command without blocking the event loop (load generators keep running meanwhile). */
export function trellisAsync(cwd: string, ...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise(resolve => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = '', stderr = ''
    child.stdout!.setEncoding('utf8').on('data', (d: string) => { stdout += d })
    child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d })
    const timer = setTimeout(() => child.kill('SIGKILL'), 300_000)
    child.once('exit', status => { clearTimeout(timer); resolve({ status, stdout, stderr }) })
  })
}

/** A temp folder holding the given files. */
export function tempProject(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'trellis-up-'))
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text)
  return dir
}

export function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true } catch { return false }
}

/** A dependency-free app for Workloads in tests: answers 200 with who it is. */
export const ECHO_APP = `
import { createServer } from 'node:http'
createServer((req, res) => {
  res.setHeader('content-type', 'application/json')
  res.end(JSON.stringify({ workload: process.env.TRELLIS_WORKLOAD, replica: process.env.TRELLIS_REPLICA, version: process.env.VERSION ?? '', path: req.url }))
}).listen(Number(process.env.PORT), '127.0.0.1')
`
