// The dashboard's stylesheet, served as /dashboard.css.
export const DASHBOARD_CSS = `
:root { --fg: #1d2330; --muted: #6b7385; --line: #e3e6ec; --bg: #fafbfc; --ok: #1a7f37; --bad: #c62828; --warn: #b26a00; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; gap: 1.5rem; align-items: center; padding: .75rem 1.5rem; background: #fff; border-bottom: 1px solid var(--line); }
header h1 { font-size: 1.2rem; margin: 0; }
header #logout { margin-left: auto; }
[hidden] { display: none !important; }
main { padding: 0 1.5rem 1.5rem; }
h2 { font-size: 1rem; margin: 1.5rem 0 .5rem; }
h3 { font-size: .9rem; margin: 1rem 0 .4rem; color: var(--muted); }
table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid var(--line); }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid var(--line); white-space: nowrap; }
th { font-weight: 600; color: var(--muted); font-size: .8rem; text-transform: uppercase; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
#services tbody tr { cursor: pointer; }
#services tbody tr:hover, #services tbody tr.selected { background: #eef3ff; }
.ok { color: var(--ok); } .bad { color: var(--bad); font-weight: 600; } .warn { color: var(--warn); }
.muted { color: var(--muted); font-size: .85rem; }
footer { padding: 0 1.5rem 1rem; }
.login { max-width: 28rem; margin: 4rem auto; background: #fff; border: 1px solid var(--line); padding: 1.5rem 2rem; }
.login label { display: block; margin: 1rem 0; }
.login input { display: block; width: 100%; padding: .4rem; margin-top: .3rem; }
.error { color: var(--bad); }
button { padding: .35rem .9rem; }
`
