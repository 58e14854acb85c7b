import type { Command } from 'commander'
import { resolve } from 'node:path'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { stopOnSignal } from './stop-on-signal.js'

export function registerControlPlane(program: Command): void {
  program.command('control-plane')
    .description('Run the control plane alone.')
    .option('--listen <addr>', 'address to serve on (default: the stored Mesh.spec.controlPlane.listen, else 127.0.0.1:15000)')
    .option('--state <dir>', 'state folder (admin token, join key, default store)', '.trellis')
    .option('--store <url>', 'memory | file:DIR | etcd://[USER@]HOST:PORT[,HOST:PORT…] | etcds://… (TLS) (default: file:<state>; with etcd, replicas share config, instances and the mesh CA; a USER\'s password is read from env TRELLIS_ETCD_PASSWORD)')
    .option('--etcd-ca <file>', 'with etcds://: PEM CA that signed etcd\'s server certificate (default: the system CAs)')
    .option('--etcd-cert <file>', 'with etcds://: PEM client certificate for etcd\'s --client-cert-auth (with --etcd-key)')
    .option('--etcd-key <file>', 'with etcds://: PEM private key of --etcd-cert')
    .option('--instance-ttl <ms>', 'drop an instance whose proxy stops heartbeating for this long', '5000')
    .option('--cert-ttl <duration>', 'lifetime of the mesh certificates issued to proxies; they renew at half-life (env TRELLIS_CERT_TTL)', process.env.TRELLIS_CERT_TTL ?? '24h')
    .option('--proxy-credential-ttl <duration>', 'lifetime of the credential a proxy gets when it joins, renewed while it reports: how long a proxy may be away and still rejoin without a join token (env TRELLIS_PROXY_CREDENTIAL_TTL)', process.env.TRELLIS_PROXY_CREDENTIAL_TTL ?? '168h')
    .option('--parent-pid <pid>', 'exit when this process is gone')
    .action(async (opts: { listen?: string; state: string; store?: string; etcdCa?: string; etcdCert?: string; etcdKey?: string; instanceTtl: string; certTtl: string; proxyCredentialTtl: string; parentPid?: string }) => {
      const { parseDuration, DURATION_HINT } = await import('../config/duration.js')
      const certTtlMs = parseDuration(opts.certTtl)
      if (certTtlMs === null || certTtlMs < 2000) {
        process.stderr.write(`--cert-ttl: "${opts.certTtl}" is not a duration of at least 2s; ${DURATION_HINT}\n`)
        process.exit(2)
      }
      const proxyCredentialTtlMs = parseDuration(opts.proxyCredentialTtl)
      if (proxyCredentialTtlMs === null || proxyCredentialTtlMs < 10_000) {
        process.stderr.write(`--proxy-credential-ttl: "${opts.proxyCredentialTtl}" is not a duration of at least 10s; ${DURATION_HINT}\n`)
        process.exit(2)
      }
      const [{ ControlPlane }, { openStore }] = await Promise.all([import('../controlplane/control-plane.js'), import('../controlplane/store/open-store.js')])
      const stateDir = resolve(opts.state)
      mkdirSync(stateDir, { recursive: true, mode: 0o700 })
      const store = openStore(opts.store ?? `file:${stateDir}`, stateDir, { ca: opts.etcdCa, cert: opts.etcdCert, key: opts.etcdKey })
      const cp = new ControlPlane({ store, stateDir, listen: opts.listen, instanceTtlMs: Number(opts.instanceTtl), certTtlMs, proxyCredentialTtlMs })
      await cp.start()
      writeFileSync(join(stateDir, 'control-plane-url'), `http://${cp.address}\n`, { mode: 0o600 })
      writeFileSync(join(stateDir, 'control-plane.pid'), `${process.pid}\n`, { mode: 0o600 })
      process.stderr.write(`control plane listening on http://${cp.address} (store ${store.url})\n`)
      stopOnSignal(() => cp.stop(), opts.parentPid)
    })
}
