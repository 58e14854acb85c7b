// A throwaway redis-server on 127.0.0.1 (Debian's redis-server), without persistence.
import { spawn, type ChildProcess } from 'node:child_process'
import { connect } from 'node:net'
import { freePort } from '../../supervisor/free-port.js'

export interface TestRedis {
  readonly url: string; readonly port: number; stop(): Promise<void>
  /** SIGSTOP / SIGCONT: a Redis whose connections stay open but that answers nothing. */
  pause(): void; resume(): void
}

export async function startRedis(): Promise<TestRedis> {
  const port = await freePort()
  const proc: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
  const deadline = Date.now() + 10_000
  while (!(await pong(port))) {
    if (Date.now() > deadline || proc.exitCode !== null) { proc.kill('SIGKILL'); throw new Error('redis-server did not start (is the redis-server package installed?)') }
    await new Promise(r => setTimeout(r, 50))
  }
  return {
    url: `redis://127.0.0.1:${port}`, port,
    pause: () => { proc.kill('SIGSTOP') },
    resume: () => { proc.kill('SIGCONT') },
    stop: () => new Promise<void>(resolve => {
      if (proc.exitCode !== null) return resolve()
      proc.once('exit', () => resolve())
      proc.kill('SIGKILL')
    }),
  }
}

function pong(port: number): Promise<boolean> {
  return new Promise(resolve => {
    const s = connect({ host: '127.0.0.1', port }, () => s.write('PING\r\n'))
    s.once('data', d => { s.destroy(); resolve(d.toString().startsWith('+PONG')) })
    s.once('error', () => resolve(false))
    s.setTimeout(500, () => { s.destroy(); resolve(false) })
  })
}
