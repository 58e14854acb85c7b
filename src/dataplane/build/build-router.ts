// A listener's route table → its Router: every entry compiled once into a CompiledRoute (requests)
// and an upgrade handler (HTTP/1.1 Upgrade tunnels), made lazily on the first Upgrade it sees.
import type { RouteEntryIR, RouteTableIR } from '../../ir/index.js'
import { compileRouteTable } from '../routing/route-table.js'
import type { RequestGate, RequestHandler, Router } from '../listener/http-listener.js'
import type { Exchange } from '../exchange.js'
import { CompiledRoute, type RouteBuildContext } from './compiled-route.js'
import { buildUpgradeHandler, type UpgradeHandler } from './upgrade-route.js'
import type { Duplex } from 'node:stream'
import { rejectUpgrade } from '../listener/upgrade.js'

class RouteHandler implements RequestHandler {
  private readonly compiled: CompiledRoute
  private upgrader: UpgradeHandler | null = null
  readonly route: string
  readonly gate: RequestGate | null
  readonly services: readonly string[]

  constructor(private readonly entry: RouteEntryIR, private readonly ctx: RouteBuildContext) {
    this.compiled = new CompiledRoute(entry, ctx)
    this.route = entry.route
    this.services = [...new Set(entry.backends.flatMap(b => (b.service === null ? [] : [b.service])))]
    this.gate = ctx.security?.get(entry.route) ?? null
  }

  handle(x: Exchange): void { this.compiled.handle(x) }

  upgrade(x: Exchange, client: Duplex, head: Buffer, idleMs: number): void {
    this.compiled.admitUpgrade(x, () => {
      if (this.upgrader === null) this.upgrader = buildUpgradeHandler(this.entry, this.ctx.clusters)
      this.upgrader(x, client, head, idleMs)
    }, err => rejectUpgrade(client, err))
  }
}

export function buildRouter(table: RouteTableIR, ctx: RouteBuildContext): Router {
  return compileRouteTable(table, entry => new RouteHandler(entry, ctx))
}
