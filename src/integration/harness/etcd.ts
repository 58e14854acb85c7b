// A throwaway single-member etcd on 127.0.0.1 (Debian's etcd-server), data in a temp folder.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '../../supervisor/free-port.js'

export interface TestEtcd { readonly url: string; readonly endpoint: string; stop(): Promise<void> }

export async function startEtcd(): Promise<TestEtcd> {
  const [client, peer] = [await freePort(), await freePort()]
  const dir = mkdtempSync(join(tmpdir(), 'trellis-etcd-'))
  const proc: ChildProcess = spawn('etcd', [
    '--name', 't', '--data-dir', dir,
    '--listen-client-urls', `http://127.0.0.1:${client}`, '--advertise-client-urls', `http://127.0.0.1:${client}`,
    '--listen-peer-urls', `http://127.0.0.1:${peer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${peer}`,
    '--initial-cluster', `t=http://127.0.0.1:${peer}`, '--log-level', 'error',
  ], { stdio: 'ignore' })
  const deadline = Date.now() + 20_000
  while (!(await healthy(client))) {
    if (Date.now() > deadline || proc.exitCode !== null) { proc.kill('SIGKILL'); throw new Error('etcd did not start (is the etcd-server package installed?)') }
    await new Promise(r => setTimeout(r, 100))
  }
  return {
    url: `etcd://127.0.0.1:${client}`, endpoint: `127.0.0.1:${client}`,
    stop: () => new Promise<void>(resolve => {
      const done = () => { rmSync(dir, { recursive: true, force: true }); resolve() }
      if (proc.exitCode !== null) return done()
      proc.once('exit', done)
      proc.kill('SIGKILL')
    }),
  }
}

function healthy(port: number): Promise<boolean> {
  return new Promise(resolve => {
    const req = request({ host: '127.0.0.1', port, path: '/health', timeout: 1000 }, res => {
      let body = ''
      res.on('data', c => { body += c })
      res.on('end', () => resolve(res.statusCode === 200 && body.includes('true')))
    })
    req.on('error', () => resolve(false))
    req.on('timeout', () => { req.destroy(); resolve(false) })
    req.end()
  })
}
