// The compiler's public surface.
export { compile, compileSources, hasErrors, type CompileResult } from './compile.js'
export { formatPath, sortDiagnostics } from './diagnostics.js'
export { NOT_ENFORCED, type NotEnforced } from './enforcement.js'
export { intersectHostname, routeHostnames, compareHostnames } from './hostnames.js'
export { comparePrecedence } from './precedence.js'
