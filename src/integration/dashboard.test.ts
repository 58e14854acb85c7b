// The web dashboard in a real browser (Debian's Chromium, driven by playwright-core): the login
// link sets the session cookie and leaves the address bar without the token; Services show live
// golden signals, instances their health, proxies their config and certificate; without the token
// the page shows the login form and the API answers 401.
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

test('the login link logs in, drops the token from the address, and the page shows live state', async () => {
  const context = await browser.newContext()
  const page = await context.newPage()
  const token = mesh.cp.creds.adminToken
  const res = await page.goto(`${mesh.url}/?token=${encodeURIComponent(token)}`)
  assert.equal(res?.status(), 200)
  assert.equal(page.url(), `${mesh.url}/`, 'redirected to / without the token')
  const [cookie] = await context.cookies()
  assert.equal(cookie.name, 'trellis_session')
  assert.equal(cookie.httpOnly, true)
  assert.equal(cookie.sameSite, 'Strict')
  assert.ok(!cookie.value.includes(token), 'the cookie does not hold the token itself')
  assert.equal(await page.evaluate(() => document.cookie), '', 'scripts cannot read the session')

  const api = page.locator('#services tr[data-service="default/api"]')
  await api.waitFor()
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

  // The cookie authorizes reads only.
  const write = await page.evaluate(async () => (await fetch('/api/v1/apply', { method: 'POST', body: '{}' })).status)
  assert.equal(write, 401)
  await context.close()
})

test('without the token the page shows the login form, which logs in; the API answers 401', async () => {
  const context = await browser.newContext()
  const page = await context.newPage()
  await page.goto(`${mesh.url}/`)
  await page.locator('form#login input[name="token"]').waitFor()
  assert.equal(await page.locator('#services').count(), 0)
  const status = await page.evaluate(async () => (await fetch('/api/v1/stats')).status)
  assert.equal(status, 401)

  await page.goto(`${mesh.url}/?token=wrong`)
  assert.match(await page.locator('.error').textContent() ?? '', /no valid admin token/)
  assert.equal(await page.locator('form#login').count(), 1)
  assert.deepEqual(await context.cookies(), [])

  await page.fill('form#login input[name="token"]', mesh.cp.creds.adminToken)
  await page.click('form#login button')
  await page.locator('#services tr[data-service="default/api"]').waitFor()
  assert.equal(page.url(), `${mesh.url}/`)
  await page.click('header form button')        // log out
  await page.locator('form#login').waitFor()
  await context.close()
})

test('the dashboard is served with a strict content policy and no token in any answer', async () => {
  const r = await get(`${mesh.url}/?token=${encodeURIComponent(mesh.cp.creds.adminToken)}`)
  assert.equal(r.status, 303)
  assert.equal(r.headers.location, '/')
  assert.equal(r.headers['referrer-policy'], 'no-referrer')
  assert.match(String(r.headers['set-cookie']), /^trellis_session=[\w-]+; HttpOnly; SameSite=Strict; Path=\/$/)
  const page = await get(`${mesh.url}/`, { cookie: String(r.headers['set-cookie']).split(';')[0] })
  assert.match(String(page.headers['content-security-policy']), /script-src 'self'/)
  assert.ok(!page.body.includes(mesh.cp.creds.adminToken))
  assert.equal((await get(`${mesh.url}/dashboard.js`)).headers['content-type'], 'text/javascript; charset=utf-8')
})

test('a page of another origin (another port of this host is the same site) cannot log the dashboard out or in, nor read with its cookie', async () => {
  const evil = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' })
    if (req.url === '/tap') return void res.end(`<script>fetch('${mesh.url}/api/v1/tap/api', { mode: 'no-cors', credentials: 'include' })</script>`)
    const action = req.url === '/login' ? 'login' : 'logout'
    res.end(`<form method="post" action="${mesh.url}/${action}"><input name="token" value="x"></form><script>document.forms[0].submit()</script>`)
  })
  await new Promise<void>(resolve => evil.listen(0, '127.0.0.1', resolve))
  const evilUrl = `http://127.0.0.1:${(evil.address() as AddressInfo).port}`
  const context = await browser.newContext()
  try {
    const page = await context.newPage()
    await page.goto(`${mesh.url}/?token=${encodeURIComponent(mesh.cp.creds.adminToken)}`)
    const session = (await context.cookies()).find(c => c.name === 'trellis_session')?.value
    assert.ok(session)
    for (const target of ['/logout', '/login']) {
      const answer = page.waitForResponse(r => r.url() === `${mesh.url}${target}`)
      await page.goto(`${evilUrl}${target}`)
      assert.equal((await answer).status(), 403, `${target} from another origin`)
      assert.equal((await context.cookies()).find(c => c.name === 'trellis_session')?.value, session, `${target} left the session as it was`)
    }
    const tap = page.waitForResponse(r => r.url().startsWith(`${mesh.url}/api/v1/tap/`))
    await page.goto(`${evilUrl}/tap`)
    assert.equal((await tap).status(), 401, 'no tap started with the cookie from another origin')
  } finally {
    await context.close()
    evil.close()
  }
})
