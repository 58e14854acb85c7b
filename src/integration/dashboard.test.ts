// The web dashboard in a real browser (Debian's Chromium, driven by playwright-core): the login
// link keeps the token in the tab's sessionStorage and leaves the address bar and history without
// it; Services show live golden signals, instances their health, proxies their config and
// certificate; without the token the page shows the login form and the API answers 401. No cookie
// is ever set, so no other port of the host can receive or replay one.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { chromium, type Browser } from 'playwright-core'
import type { SidecarProxy } from '../dataplane/sidecar-proxy.js'
import { TestMesh } from './harness/mesh.js'
import { get } from './harness/http.js'
import { OBSERVE_CONFIG, send } from './harness/observe.js'
import { freePort } from '../supervisor/free-port.js'

const mesh = new TestMesh()
let browser: Browser
let web = ''
let traffic: NodeJS.Timeout | null = null

before(async () => {
  const gwPort = await freePort()
  await mesh.start()
  await mesh.apply(OBSERVE_CONFIG(gwPort))
  const webSidecar: SidecarProxy = (await mesh.replica('web', 0)).sidecar
  await mesh.replica('api', 0)
  await mesh.replica('api', 1)
  await mesh.settled()
  web = `http://127.0.0.1:${webSidecar.outboundPort('default/api')}`
  // Live traffic for the page to show, bounded by the test's own lifetime.
  traffic = setInterval(() => void send(web, 3).catch(() => {}), 200)
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] })
})
after(async () => {
  if (traffic) clearInterval(traffic)
  await browser?.close()
  await mesh.stop()
})

const TOKEN_KEY = 'trellis.adminToken'

test('the login link logs in, drops the token from the address, and the page shows live state', async () => {
  const context = await browser.newContext()
  const page = await context.newPage()
  const token = mesh.cp.creds.adminToken
  const res = await page.goto(`${mesh.url}/?token=${encodeURIComponent(token)}`)
  assert.equal(res?.status(), 200)
  const api = page.locator('#services tr[data-service="default/api"]')
  await api.waitFor()
  assert.equal(page.url(), `${mesh.url}/`, 'the token left the address bar')
  assert.equal(await page.evaluate(() => history.length), 2, 'the history holds the blank tab and / only, no entry with the token')
  assert.deepEqual(await context.cookies(), [], 'no cookie: browsers would send it to every port of the host')
  assert.equal(await page.evaluate((k: string) => sessionStorage.getItem(k), TOKEN_KEY), token, 'kept for this tab and origin')

  await page.waitForFunction(() => Number(document.querySelector('#services tr[data-service="default/api"] td.requests')?.textContent) > 0, null, { timeout: 15_000 })
  const rps = Number(await api.locator('td.rps').textContent())
  assert.ok(rps > 0, `rps ${rps}`)
  assert.equal(await api.locator('td.success').textContent(), '100%')
  assert.match(await api.locator('td.p50').textContent() ?? '', /^[\d.]+ ms$/)
  const before = Number(await api.locator('td.requests').textContent())
  await page.waitForFunction((n: number) => Number(document.querySelector('#services tr[data-service="default/api"] td.requests')?.textContent) > n, before, { timeout: 15_000 })

  for (const name of ['default/api/0', 'default/api/1', 'default/web/0']) {
    const row = page.locator(`#instances tr[data-instance="${name}"]`)
    await row.waitFor()
    assert.equal(await row.locator('td.health').textContent(), 'healthy')
    assert.equal(await row.locator('td.ejected').textContent(), 'no')
    assert.equal(await row.locator('td.circuit').textContent(), 'closed')
  }
  const proxy = page.locator('#proxies tr[data-proxy="default/web/0"]')
  await proxy.waitFor()
  assert.match(await proxy.locator('td.config').textContent() ?? '', /^v\d+$/)
  assert.match(await proxy.locator('td.cert').textContent() ?? '', /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/)

  // A Service's detail: its callers by identity and its routes.
  await api.click()
  await page.locator('#callers tr[data-caller="spiffe://trellis.local/ns/default/sa/web"]').waitFor()
  await page.locator('#routes tr[data-route="default/api-mesh"]').waitFor()

  // A reload keeps the tab logged in; a request without the header is anyone's.
  await page.reload()
  await api.waitFor()
  assert.equal(await page.evaluate(async () => (await fetch('/api/v1/stats')).status), 401)
  await context.close()
})

test('without the token the page shows the login form, which logs in and out; the API answers 401', async () => {
  const context = await browser.newContext()
  const page = await context.newPage()
  await page.goto(`${mesh.url}/`)
  await page.locator('form#login input[name="token"]').waitFor()
  assert.equal(await page.locator('#app').isHidden(), true)
  assert.equal(await page.evaluate(async () => (await fetch('/api/v1/stats')).status), 401)

  await page.goto(`${mesh.url}/?token=wrong`)
  await page.locator('#login-error').waitFor()
  assert.match(await page.locator('#login-error').textContent() ?? '', /no valid admin token/)
  assert.equal(page.url(), `${mesh.url}/`, 'a wrong token leaves the address bar too')

  await page.fill('form#login input[name="token"]', 'also wrong')
  await page.click('form#login button')
  await page.waitForFunction(() => /not the admin token/.test(document.getElementById('login-error')?.textContent ?? ''))

  await page.fill('form#login input[name="token"]', mesh.cp.creds.adminToken)
  await page.click('form#login button')
  await page.locator('#services tr[data-service="default/api"]').waitFor()
  assert.equal(await page.locator('form#login').isHidden(), true)
  await page.click('#logout')
  await page.locator('form#login').waitFor()
  assert.equal(await page.evaluate((k: string) => sessionStorage.getItem(k), TOKEN_KEY), null, 'logging out forgets the token')
  assert.deepEqual(await context.cookies(), [])
  await context.close()
})

test('the dashboard is served with a strict content policy, no cookie, and no token in any answer', async () => {
  const r = await get(`${mesh.url}/?token=${encodeURIComponent(mesh.cp.creds.adminToken)}`)
  assert.equal(r.status, 200)
  assert.equal(r.headers['referrer-policy'], 'no-referrer')
  assert.equal(r.headers['set-cookie'], undefined)
  assert.match(String(r.headers['content-security-policy']), /script-src 'self'/)
  assert.ok(!r.body.includes(mesh.cp.creds.adminToken))
  assert.equal((await get(`${mesh.url}/dashboard.js`)).headers['content-type'], 'text/javascript; charset=utf-8')
})

test('a page on another port of this host gets nothing: not the token, and no cookie to send or replay', async () => {
  const evil = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' })
    res.end(`<script>window.answer = fetch('${mesh.url}/api/v1/tap/api', { mode: 'no-cors', credentials: 'include' })</script>`)
  })
  await new Promise<void>(resolve => evil.listen(0, '127.0.0.1', resolve))
  const evilUrl = `http://127.0.0.1:${(evil.address() as AddressInfo).port}`
  const context = await browser.newContext()
  try {
    const page = await context.newPage()
    await page.goto(`${mesh.url}/?token=${encodeURIComponent(mesh.cp.creds.adminToken)}`)
    await page.locator('#services tr[data-service="default/api"]').waitFor()
    const tap = page.waitForResponse(r => r.url().startsWith(`${mesh.url}/api/v1/tap/`))
    await page.goto(`${evilUrl}/`)
    assert.equal((await tap).status(), 401, 'its request to the admin API carries no credential')
    assert.equal(await page.evaluate((k: string) => sessionStorage.getItem(k), TOKEN_KEY), null, 'another origin cannot read the token')
    assert.deepEqual(await context.cookies(), [], 'no cookie that a server on another port would receive')
    for (const path of ['/login', '/logout']) assert.equal((await get(`${mesh.url}${path}`)).status, 404, `${path} is gone`)
  } finally {
    await context.close()
    evil.close()
  }
})
