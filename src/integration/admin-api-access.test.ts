// Who reaches the control plane's admin API: request targets written to slip past the check
// (dot segments, encoded and doubled slashes, case, trailing slashes, absolute form, HEAD and
// OPTIONS, the token in a query or a cookie) all answer 401 or 404; request targets that are not
// URLs at all answer 400 without a log line each, and nothing logged holds the token.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ControlPlane } from '../controlplane/control-plane.js'
import { MemoryStore } from '../controlplane/store/memory-store.js'

const stateDir = mkdtempSync(join(tmpdir(), 'trellis-admin-access-'))
const logs: string[] = []
let cp: ControlPlane
let port = 0

before(async () => {
  cp = new ControlPlane({ store: new MemoryStore(), stateDir, listen: '127.0.0.1:0', log: line => logs.push(line) })
  await cp.start()
  port = Number(cp.address.split(':')[1])
})
after(async () => {
  await cp.stop()
  rmSync(stateDir, { recursive: true, force: true })
})

/** Sends one raw request (the target exactly as written) and returns the status line's code. */
function raw(method: string, target: string, headers = ''): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.write(`${method} ${target} HTTP/1.1\r\nhost: cp\r\nconnection: close\r\n${headers}content-length: 0\r\n\r\n`))
    let got = ''
    s.on('data', c => { got += c })
    s.on('end', () => resolve(Number(/^HTTP\/1\.1 (\d+)/.exec(got)?.[1] ?? 0)))
    s.on('error', reject)
  })
}

test('request targets written to slip past the admin check answer 401 or 404', async () => {
  const token = cp.creds.adminToken
  const targets = ['/api/v1/status', '/api/v1/status/', '/api/v1/../api/v1/status', '/api/v1/%2e%2e/v1/status', '/api//v1/status',
    '//api/v1/status', '/API/V1/status', '/api%2fv1/status', '/api/v1/proxies/../status', '/api/v1/proxies/%2e%2e/status',
    '/api/v1/proxies%2f..%2fstatus', '/api/v1/proxies/x/../../ir', 'http://cp/api/v1/ir', `/api/v1/ir?token=${token}`, '/api/v1/proxies/']
  for (const method of ['GET', 'HEAD', 'OPTIONS', 'POST']) {
    for (const target of targets) {
      const status = await raw(method, target)
      assert.ok(status === 401 || status === 404, `${method} ${target} answered ${status}`)
    }
  }
  for (const h of [`cookie: trellis_session=${token}`, `authorization: bearer ${token}`, `authorization: Basic ${token}`, `x-admin-token: ${token}`]) {
    assert.equal(await raw('GET', '/api/v1/ir', `${h}\r\n`), 401, h.split(':')[0])
  }
  assert.equal(await raw('GET', '/api/v1/ir', `authorization: Bearer ${token}\r\n`), 200, 'the control')
})

test('a request target that is no URL answers 400 and is not logged; no log line holds the token', async () => {
  const token = cp.creds.adminToken
  const before = logs.length
  for (const target of [`http://[::1/?token=${token}`, `http://cp:99999/api/v1/ir?token=${token}`, 'http://a b/']) {
    assert.equal(await raw('GET', target, `authorization: Bearer ${token}\r\n`), 400, target)
  }
  assert.deepEqual(logs.slice(before), [])
  assert.ok(logs.every(l => !l.includes(token)))
})
