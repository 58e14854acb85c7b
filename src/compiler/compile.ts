// The pure compiler: loaded resources → MeshIR + diagnostics. No fs, clock or randomness.
import type { LoadedResource, SourceText } from '../config/source.js'
import { loadTexts } from '../config/load-texts.js'
import type { Diagnostic } from '../ir/diagnostic.js'
import type { MeshIR } from '../ir/index.js'
import { knownKinds } from '../resources/index.js'
import { buildCatalog } from './catalog.js'
import { DiagnosticSink, sortDiagnostics } from './diagnostics.js'
import { notEnforcedWarning } from './enforcement.js'
import { compileClientTraffic } from './client-traffic-ir.js'
import { compileGateways } from './gateways.js'
import { compileMeshSettings } from './mesh-settings.js'
import { attachPolicies } from './policies.js'
import { checkPorts } from './ports.js'
import { compileRoutes } from './routes.js'
import { compileServices } from './services.js'
import { compileWorkloads } from './workloads.js'

export interface CompileResult {
  readonly ir: MeshIR
  readonly diagnostics: Diagnostic[]
}

export function compile(resources: readonly LoadedResource[]): CompileResult {
  const sink = new DiagnosticSink()
  const cat = buildCatalog(resources, sink)
  const mesh = compileMeshSettings(cat)
  checkPorts(cat, sink, mesh.controlPlaneListen)
  const policies = attachPolicies(cat, sink, mesh.trustDomain)
  const routes = compileRoutes(cat, sink, policies.routes)
  const workloads = compileWorkloads(cat, sink)
  const clientTraffic = compileClientTraffic(cat, sink)
  const gateways = compileGateways(cat, sink, routes, clientTraffic.listeners)
  const services = compileServices(cat, policies.services, routes.mesh, clientTraffic.services)
  const used = knownKinds().flatMap(k => cat.list(k)).filter(r => !sink.hasErrors(r.source))
  const warning = notEnforcedWarning(used)
  if (warning) sink.push(warning)
  return {
    ir: { mesh, services, workloads, gateways, authorization: policies.authorization, rateLimits: policies.rateLimits, security: policies.security },
    diagnostics: sortDiagnostics(sink.list),
  }
}

/** Texts → IR: loadTexts then compile, every problem in one sorted list. */
export function compileSources(sources: readonly SourceText[]): CompileResult & { resources: LoadedResource[] } {
  const loaded = loadTexts(sources)
  const compiled = compile(loaded.resources)
  return {
    resources: loaded.resources,
    ir: compiled.ir,
    diagnostics: sortDiagnostics([...loaded.diagnostics, ...compiled.diagnostics]),
  }
}

/** True when any diagnostic is an error. */
export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some(d => d.severity === 'error')
}
