// `trellis check`: each check prints one line, `ok` or `FAIL`, with what to do about a failure.
import { X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import type { MeshIR } from '../ir/index.js'
import { adminClient } from './client-options.js'

interface ProxyView {
  name: string; connected: boolean; ackedVersion: number; configVersion: number; nack: { version: number; reason: string } | null
  certificate: { serial: string; notAfter: string } | null
}

export async function runChecks(opts: { controlPlane?: string; state?: string }): Promise<number> {
  const client = await adminClient(opts)
  let failures = 0
  const line = (ok: boolean, what: string, detail = '') => {
    if (!ok) failures++
    process.stdout.write(`${ok ? 'ok  ' : 'FAIL'}  ${what}${detail ? ` — ${detail}` : ''}\n`)
  }
  let status: { version: number; ready: boolean; warnings: string[] }
  try {
    const res = await client.call<typeof status & { error?: string }>('GET', '/api/v1/status')
    if (res.status !== 200) { line(false, `control plane at ${client.target.url}`, res.body.error ?? `answered ${res.status}`); return 1 }
    status = res.body
    line(true, `control plane at ${client.target.url}`, `config version ${status.version}`)
  } catch (err) {
    line(false, `control plane at ${client.target.url}`, `${(err as Error).message}; is \`trellis up\` running?`)
    return 1
  }
  line(status.ready, 'every Workload has a healthy replica', status.ready ? '' : 'see `trellis get instances`')

  const proxies = (await client.call<{ items: ProxyView[] }>('GET', '/api/v1/proxies')).body.items
  const behind = proxies.filter(p => !p.connected || p.ackedVersion < p.configVersion)
  line(behind.length === 0, `${proxies.length} proxies connected and on the latest config`,
    behind.map(p => `${p.name}: ${p.connected ? `acked ${p.ackedVersion} of ${p.configVersion}` : 'disconnected'}${p.nack ? ` (rejected ${p.nack.version}: ${p.nack.reason})` : ''}`).join('; '))

  const now = Date.now()
  const uncertified = proxies.filter(p => p.connected && (!p.certificate || Date.parse(p.certificate.notAfter) <= now))
  line(uncertified.length === 0, 'every connected proxy holds a valid mesh certificate',
    uncertified.map(p => `${p.name}: ${p.certificate ? `certificate expired ${p.certificate.notAfter}` : 'no certificate issued'}`).join('; '))

  const ir = (await client.call<{ ir: MeshIR }>('GET', '/api/v1/ir')).body.ir
  for (const g of ir.gateways) {
    for (const l of g.listeners) {
      for (const cert of l.tls?.certificates ?? []) {
        const what = `certificate ${cert.name} (Gateway ${g.name}, listener ${l.name})`
        try {
          const x = new X509Certificate(readFileSync(cert.certFile))
          const expires = Date.parse(x.validTo)
          const days = Math.floor((expires - now) / 86_400_000)
          line(Date.parse(x.validFrom) <= now && expires > now, what, expires > now ? `valid for ${days} more days` : `expired ${x.validTo}`)
        } catch (err) { line(false, what, `cannot read ${cert.certFile}: ${(err as Error).message}`) }
      }
    }
  }
  const nowhere = status.warnings.filter(w => /not found|matches no listener|no usable backend/i.test(w))
  line(nowhere.length === 0, 'no route points nowhere', nowhere.join('; '))
  return failures === 0 ? 0 : 1
}
