// Plain-text tables for `trellis get`.
const COLUMNS: Record<string, readonly string[]> = {
  proxies: ['name', 'kind', 'pid', 'adminAddress', 'configVersion', 'ackedVersion', 'connected', 'certExpires'],
  instances: ['name', 'services', 'address', 'pid', 'healthy', 'ejected', 'circuit', 'draining'],
}

export function renderTable(kind: string, items: readonly Record<string, unknown>[]): string {
  const cols = COLUMNS[kind] ?? ['kind', 'name', 'namespace', 'source']
  const rows = items.map(item => cols.map(c => cell(item, c)))
  const widths = cols.map((c, i) => Math.max(c.length, ...rows.map(r => r[i].length)))
  const line = (cells: readonly string[]) => cells.map((v, i) => v.padEnd(widths[i])).join('  ').trimEnd()
  return [line(cols.map(c => c.toUpperCase())), ...rows.map(line)].join('\n') + '\n'
}

function cell(item: Record<string, unknown>, col: string): string {
  const meta = item.metadata as Record<string, unknown> | undefined
  const status = item.status as Record<string, unknown> | undefined
  const v = col in item ? item[col] : meta && col in meta ? meta[col] : status?.[col]
  if (v === undefined || v === null) return '-'
  return Array.isArray(v) ? v.join(',') : String(v)
}
