// The dashboard's page: the login form and the dashboard, both hidden until the script knows
// whether this tab holds a valid admin token. No inline script or style: the Content-Security-Policy
// allows only the control plane's own /dashboard.js and /dashboard.css.
export function dashboardPage(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Trellis dashboard</title>
<link rel="stylesheet" href="/dashboard.css">
<script src="/dashboard.js" defer></script>
</head>
<body>
<main class="login" id="login-view" hidden>
  <h1>Trellis</h1>
  <form id="login">
    <p>The dashboard needs the admin token. Open the link <code>trellis up</code> printed
    (<code>dashboard: http://…/?token=…</code>), or paste the token from <code>.trellis/admin-token</code>.</p>
    <p class="error" id="login-error" role="alert" hidden></p>
    <label>Admin token <input type="password" name="token" autocomplete="current-password" required autofocus></label>
    <button type="submit">Log in</button>
  </form>
</main>
<div id="app" hidden>
<header>
  <h1>Trellis</h1>
  <span id="status" class="muted">loading…</span>
  <label>window
    <select id="window">
      <option value="10s">10s</option><option value="30s" selected>30s</option><option value="1m">1m</option><option value="5m">5m</option>
    </select>
  </label>
  <button type="button" id="logout">Log out</button>
</header>
<main>
  <section>
    <h2>Services</h2>
    <table id="services">
      <thead><tr><th>Service</th><th>RPS</th><th>Success</th><th>p50</th><th>p95</th><th>p99</th><th>Requests</th></tr></thead>
      <tbody></tbody>
    </table>
    <p class="muted">Golden signals over the window, from each Service's sidecars (inbound). Select a Service for its routes and callers.</p>
  </section>
  <section id="detail" hidden>
    <h2 id="detail-title"></h2>
    <h3>Routes (seen by callers)</h3>
    <table id="routes"><thead><tr><th>Route</th><th>RPS</th><th>Success</th><th>p50</th><th>p95</th><th>p99</th><th>Requests</th></tr></thead><tbody></tbody></table>
    <h3>Callers</h3>
    <table id="callers"><thead><tr><th>Caller</th><th>RPS</th><th>Success</th><th>p50</th><th>p95</th><th>p99</th><th>Requests</th></tr></thead><tbody></tbody></table>
  </section>
  <section>
    <h2>Instances</h2>
    <table id="instances">
      <thead><tr><th>Instance</th><th>Services</th><th>Address</th><th>Health</th><th>Ejected</th><th>Circuit</th><th>Draining</th></tr></thead>
      <tbody></tbody>
    </table>
  </section>
  <section>
    <h2>Proxies</h2>
    <table id="proxies">
      <thead><tr><th>Proxy</th><th>Kind</th><th>Identity</th><th>Config</th><th>Connected</th><th>Certificate expires</th></tr></thead>
      <tbody></tbody>
    </table>
  </section>
</main>
<footer><span id="updated" class="muted"></span></footer>
</div>
</body>
</html>
`
}
