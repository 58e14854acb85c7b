// A throwaway single-member etcd on 127.0.0.1 (Debian's etcd-server), data in a temp folder.
// With `tls`, clients speak TLS (etcds://) and must present a certificate signed by its test CA.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { request } from 'node:https'
import { request as plainRequest } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '../../supervisor/free-port.js'
import { makeEtcdPki, type EtcdPki } from './etcd-pki.js'

export interface TestEtcd {
  readonly url: string; readonly endpoint: string
  /** With `tls`: the CA etcd trusts and a client certificate it accepts. */
  readonly pki?: EtcdPki
  stop(): Promise<void>
}

export async function startEtcd(opts: { tls?: boolean } = {}): Promise<TestEtcd> {
  const [client, peer] = [await freePort(), await freePort()]
  const dir = mkdtempSync(join(tmpdir(), 'trellis-etcd-'))
  const pki = opts.tls ? makeEtcdPki(dir) : undefined
  const scheme = pki ? 'https' : 'http'
  const tlsArgs = pki ? ['--cert-file', pki.serverCertFile, '--key-file', pki.serverKeyFile, '--client-cert-auth', '--trusted-ca-file', pki.caFile] : []
  const proc: ChildProcess = spawn('etcd', [
    '--name', 't', '--data-dir', join(dir, 'data'), ...tlsArgs,
    '--listen-client-urls', `${scheme}://127.0.0.1:${client}`, '--advertise-client-urls', `${scheme}://127.0.0.1:${client}`,
    '--listen-peer-urls', `http://127.0.0.1:${peer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${peer}`,
    '--initial-cluster', `t=http://127.0.0.1:${peer}`, '--log-level', 'error',
  ], { stdio: 'ignore' })
  const deadline = Date.now() + 20_000
  while (!(await healthy(client, pki))) {
    if (Date.now() > deadline || proc.exitCode !== null) { proc.kill('SIGKILL'); throw new Error('etcd did not start (is the etcd-server package installed?)') }
    await new Promise(r => setTimeout(r, 100))
  }
  return {
    url: `${pki ? 'etcds' : 'etcd'}://127.0.0.1:${client}`, endpoint: `127.0.0.1:${client}`, pki,
    stop: () => new Promise<void>(resolve => {
      const done = () => { rmSync(dir, { recursive: true, force: true }); resolve() }
      if (proc.exitCode !== null) return done()
      proc.once('exit', done)
      proc.kill('SIGKILL')
    }),
  }
}

function healthy(port: number, pki?: EtcdPki): Promise<boolean> {
  const tls = pki && { ca: readFileSync(pki.caFile), cert: readFileSync(pki.clientCertFile), key: readFileSync(pki.clientKeyFile) }
  return new Promise(resolve => {
    const req = (tls ? request : plainRequest)({ host: '127.0.0.1', port, path: '/health', timeout: 1000, ...tls }, res => {
      let body = ''
      res.on('data', c => { body += c })
      res.on('end', () => resolve(res.statusCode === 200 && body.includes('true')))
    })
    req.on('error', () => resolve(false))
    req.on('timeout', () => { req.destroy(); resolve(false) })
    req.end()
  })
}
