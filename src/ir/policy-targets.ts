// Where a policy kind attached: by qualified Service, Gateway (`ns/name`, or `ns/name#listener` for
// one listener) and route name. Several policies on one target are merged into one value.
import type { QualifiedName } from './common.js'

export interface PolicyTargetsIR<T> {
  readonly services: Readonly<Record<QualifiedName, T>>
  readonly gateways: Readonly<Record<string, T>>
  readonly routes: Readonly<Record<QualifiedName, T>>
}
