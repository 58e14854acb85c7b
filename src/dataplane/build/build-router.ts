// A listener's route table → its Router: every entry compiled once into a CompiledRoute.
import type { RouteTableIR } from '../../ir/index.js'
import { compileRouteTable } from '../routing/route-table.js'
import type { Router } from '../listener/http-listener.js'
import { CompiledRoute, type RouteBuildContext } from './compiled-route.js'

export function buildRouter(table: RouteTableIR, ctx: RouteBuildContext): Router {
  return compileRouteTable(table, entry => new CompiledRoute(entry, ctx))
}
