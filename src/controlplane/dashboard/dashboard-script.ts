// The dashboard's script, served as /dashboard.js: plain browser JavaScript, no build step and no
// libraries. It takes the admin token from the login link (and drops it from the address and the
// history) or from the login form, keeps it in this tab's sessionStorage (this origin's alone, port
// included), reads the admin API with it as a bearer header every two seconds, and fills the
// tables with textContent only (never HTML from the API). A 401 means the token is no longer valid:
// it is forgotten and the login form shows.
export const DASHBOARD_JS = String.raw`
'use strict'
var TOKEN_KEY = 'trellis.adminToken'
var token = null
var timer = null
var selected = null
var windowSel = null

function el(tag, text, cls) {
  var e = document.createElement(tag)
  if (text !== undefined && text !== null) e.textContent = String(text)
  if (cls) e.className = cls
  return e
}

function api(path) {
  return fetch(path, { credentials: 'omit', headers: { accept: 'application/json', authorization: 'Bearer ' + token } }).then(function (res) {
    if (res.status === 401) { logOut('The admin token is no longer valid.'); throw new Error('logged out') }
    if (!res.ok) throw new Error(path + ' answered ' + res.status)
    return res.json()
  })
}

function short(name) { return name && name.indexOf('default/') === 0 ? name.slice(8) : name }
function pct(v) { return v === null || v === undefined ? '-' : (v * 100).toFixed(v === 1 ? 0 : 2) + '%' }
function ms(v) { return v === null || v === undefined ? '-' : (v < 10 ? v.toFixed(2) : v.toFixed(0)) + ' ms' }
function rate(v) { return v < 10 ? v.toFixed(2) : v.toFixed(1) }

function signalCells(tr, s) {
  tr.appendChild(el('td', rate(s.rps), 'num rps'))
  var cls = s.successRate === null ? 'num success' : s.successRate >= 0.99 ? 'num success ok' : s.successRate >= 0.95 ? 'num success warn' : 'num success bad'
  tr.appendChild(el('td', pct(s.successRate), cls))
  var l = s.latencyMs
  tr.appendChild(el('td', ms(l && l.p50), 'num p50'))
  tr.appendChild(el('td', ms(l && l.p95), 'num p95'))
  tr.appendChild(el('td', ms(l && l.p99), 'num p99'))
  tr.appendChild(el('td', s.requests, 'num requests'))
}

function fill(table, rows) {
  var body = document.querySelector('#' + table + ' tbody')
  body.replaceChildren.apply(body, rows)
}

function renderServices(stats) {
  fill('services', stats.items.map(function (s) {
    var tr = el('tr')
    tr.dataset.service = s.service
    if (s.service === selected) tr.className = 'selected'
    tr.appendChild(el('td', short(s.service), 'name'))
    signalCells(tr, s)
    tr.addEventListener('click', function () { selected = s.service; refresh() })
    return tr
  }))
}

function renderDetail(d) {
  var box = document.getElementById('detail')
  if (!d) { box.hidden = true; return }
  box.hidden = false
  document.getElementById('detail-title').textContent = short(d.service.service)
  fill('routes', d.routes.map(function (r) { var tr = el('tr'); tr.dataset.route = r.route; tr.appendChild(el('td', short(r.route), 'name')); signalCells(tr, r); return tr }))
  fill('callers', d.callers.map(function (c) { var tr = el('tr'); tr.dataset.caller = c.caller || ''; tr.appendChild(el('td', c.caller || '(plaintext)', 'name')); signalCells(tr, c); return tr }))
}

function renderInstances(list) {
  fill('instances', list.items.map(function (i) {
    var tr = el('tr')
    tr.dataset.instance = i.name
    tr.appendChild(el('td', short(i.name), 'name'))
    tr.appendChild(el('td', i.services.map(short).join(', ')))
    tr.appendChild(el('td', i.address))
    tr.appendChild(el('td', i.healthy ? (i.ready ? 'healthy' : 'healthy, not ready') : 'unhealthy', 'health ' + (i.healthy ? 'ok' : 'bad')))
    tr.appendChild(el('td', i.ejected ? 'ejected by ' + i.ejectedBy.join(', ') : 'no', 'ejected' + (i.ejected ? ' bad' : '')))
    tr.appendChild(el('td', i.circuit, 'circuit' + (i.circuit === 'open' ? ' bad' : '')))
    tr.appendChild(el('td', i.draining ? 'yes' : 'no', 'draining' + (i.draining ? ' warn' : '')))
    return tr
  }))
}

function renderProxies(list) {
  var now = Date.now()
  fill('proxies', list.items.map(function (p) {
    var tr = el('tr')
    tr.dataset.proxy = p.name
    tr.appendChild(el('td', short(p.name), 'name'))
    tr.appendChild(el('td', p.kind))
    tr.appendChild(el('td', p.identity))
    var behind = p.ackedVersion < p.configVersion
    tr.appendChild(el('td', 'v' + p.ackedVersion + (behind ? ' of v' + p.configVersion : '') + (p.nack ? ' (rejected v' + p.nack.version + ')' : ''), 'config' + (behind || p.nack ? ' warn' : ' ok')))
    tr.appendChild(el('td', p.connected ? 'yes' : 'no', p.connected ? 'ok' : 'bad'))
    var cert = p.certificate ? new Date(p.certificate.notAfter) : null
    var left = cert ? cert.getTime() - now : -1
    tr.appendChild(el('td', cert ? cert.toISOString().replace('T', ' ').slice(0, 19) + ' UTC' : 'none', 'cert' + (left <= 0 ? ' bad' : left < 3600e3 ? ' warn' : '')))
    return tr
  }))
}

function refresh() {
  var w = encodeURIComponent(windowSel.value)
  var jobs = [api('/api/v1/status'), api('/api/v1/stats?window=' + w), api('/api/v1/instances'), api('/api/v1/proxies'),
    selected ? api('/api/v1/stats/' + encodeURIComponent(selected) + '?window=' + w) : Promise.resolve(null)]
  return Promise.all(jobs).then(function (r) {
    document.getElementById('status').textContent = 'config v' + r[0].version + (r[0].ready ? ' · ready' : ' · not ready')
    renderServices(r[1]); renderInstances(r[2]); renderProxies(r[3]); renderDetail(r[4])
    document.getElementById('updated').textContent = 'updated ' + new Date().toLocaleTimeString() + ' · window ' + Math.round(r[1].windowMs / 1000) + ' s'
  }).catch(function (err) {
    document.getElementById('updated').textContent = 'update failed: ' + err.message
  })
}

function showLogin(error) {
  document.getElementById('app').hidden = true
  document.getElementById('login-view').hidden = false
  var e = document.getElementById('login-error')
  e.textContent = error || ''
  e.hidden = !error
}

function showDashboard() {
  document.getElementById('login-view').hidden = true
  document.getElementById('app').hidden = false
  refresh()
  if (timer === null) timer = setInterval(refresh, 2000)
}

function logOut(error) {
  token = null
  sessionStorage.removeItem(TOKEN_KEY)
  if (timer !== null) { clearInterval(timer); timer = null }
  showLogin(error)
}

/** Checks a token against the admin API; keeps it for this tab when it is the admin's. */
function logIn(candidate, error) {
  fetch('/api/v1/status', { credentials: 'omit', headers: { accept: 'application/json', authorization: 'Bearer ' + candidate } }).then(function (res) {
    if (res.status !== 200) { logOut(error); return }
    token = candidate
    sessionStorage.setItem(TOKEN_KEY, candidate)
    showDashboard()
  }, function () { showLogin('The control plane did not answer.') })
}

document.addEventListener('DOMContentLoaded', function () {
  windowSel = document.getElementById('window')
  windowSel.addEventListener('change', refresh)
  document.getElementById('logout').addEventListener('click', function () { logOut(null) })
  document.getElementById('login').addEventListener('submit', function (ev) {
    ev.preventDefault()
    logIn(ev.target.elements.token.value.trim(), 'That is not the admin token.')
  })
  var fromLink = new URLSearchParams(location.search).get('token')
  if (fromLink !== null) history.replaceState(null, '', '/')
  var kept = sessionStorage.getItem(TOKEN_KEY)
  if (fromLink !== null) logIn(fromLink, 'That link holds no valid admin token.')
  else if (kept) logIn(kept, null)
  else showLogin(null)
})
`
