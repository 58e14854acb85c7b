import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AuditLog } from './audit-log.js'
import { claimValue } from './security-gate.js'

const dir = mkdtempSync(join(tmpdir(), 'trellis-audit-'))
after(() => rmSync(dir, { recursive: true, force: true }))

test('claimToHeaders values: scalars, lists, nested names; nothing that could break a header', () => {
  const claims = {
    email: 'a@example.com', admin: true, level: 3, roles: ['read', 'write'], 'https://example.com/tenant': 't1',
    org: { id: 'o-1', deep: { x: 1 } }, bad: 'a\r\nx-admin: yes', obj: { a: 1 }, mixed: ['a', { b: 1 }], long: 'x'.repeat(9000),
  }
  const cases: [string, string | null][] = [
    ['email', 'a@example.com'], ['admin', 'true'], ['level', '3'], ['roles', 'read,write'],
    ['https://example.com/tenant', 't1'], ['org.id', 'o-1'], ['org.deep.x', '1'],
    ['bad', null], ['obj', null], ['mixed', null], ['long', null], ['missing', null], ['org.missing', null],
  ]
  for (const [claim, want] of cases) assert.equal(claimValue(claims, claim), want, claim)
})

test('the audit log appends JSON lines, batched, to a file only its owner can read', async () => {
  const path = join(dir, 'audit.log')
  const log = new AuditLog(path, () => {})
  for (let i = 0; i < 3; i++) {
    log.write({ consumer: i === 0 ? null : 'alice', client: '127.0.0.1', method: 'GET', path: `/p${i}`, route: 'default/r', status: 200, reason: null, requestId: `id-${i}` })
  }
  await log.close()
  log.write({ consumer: null, client: 'x', method: 'GET', path: '/late', route: null, status: null, reason: null, requestId: null })
  const lines = readFileSync(path, 'utf8').trimEnd().split('\n').map(l => JSON.parse(l))
  assert.deepEqual(lines.map(l => l.path), ['/p0', '/p1', '/p2'])
  assert.deepEqual(Object.keys(lines[0]), ['time', 'consumer', 'client', 'method', 'path', 'route', 'status', 'reason', 'requestId'])
  assert.ok(!Number.isNaN(Date.parse(lines[0].time)))
  assert.equal(log.dropped, 1, 'a line after close is dropped, not written')
  assert.equal(statSync(path).mode & 0o777, 0o600)
  const again = new AuditLog(path, () => {})
  again.write({ consumer: 'bob', client: 'x', method: 'POST', path: '/p3', route: null, status: 401, reason: 'unauthenticated', requestId: null })
  await again.close()
  assert.equal(readFileSync(path, 'utf8').trimEnd().split('\n').length, 4, 'reopening appends')
  assert.throws(() => new AuditLog(join(dir, 'no', 'such', 'dir', 'a.log'), () => {}), /ENOENT/)
})
