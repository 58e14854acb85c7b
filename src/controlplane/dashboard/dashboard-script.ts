// The dashboard's script, served as /dashboard.js: plain browser JavaScript, no build step and no
// libraries. It reads the admin API with the session cookie every two seconds and fills the
// tables with textContent only (never HTML from the API). A 401 means the session is gone: the
// page reloads and the control plane shows the login form.
export const DASHBOARD_JS = String.raw`
'use strict'
var selected = null
var windowSel = null

function el(tag, text, cls) {
  var e = document.createElement(tag)
  if (text !== undefined && text !== null) e.textContent = String(text)
  if (cls) e.className = cls
  return e
}

function api(path) {
  return fetch(path, { credentials: 'same-origin', headers: { accept: 'application/json' } }).then(function (res) {
    if (res.status === 401) { location.reload(); throw new Error('logged out') }
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

document.addEventListener('DOMContentLoaded', function () {
  windowSel = document.getElementById('window')
  windowSel.addEventListener('change', refresh)
  refresh()
  setInterval(refresh, 2000)
})
`
