import { test } from 'node:test'
import assert from 'node:assert/strict'
import { loadTexts } from '../config/load-texts.js'
import { validateResource } from '../resources/index.js'
import type { ValidResource } from '../resources/validate-resource.js'
import type { TrafficPolicySpec } from '../resources/traffic-policy.js'
import { compileTrafficPolicy } from './traffic-policy-ir.js'

/** A TrafficPolicy's connectionPool, validated with its defaults filled in, then compiled. */
function pool(fields: string) {
  const yaml = `apiVersion: trellis.dev/v1alpha1\nkind: TrafficPolicy\nmetadata: { name: p }\nspec: { targetRef: { kind: Service, name: s }, connectionPool: ${fields} }\n`
  const [r] = loadTexts([{ file: 'f.yaml', dir: '/d', text: yaml }]).resources
  const v = validateResource(r)
  assert.deepEqual(v.issues, [])
  return compileTrafficPolicy((v.resource as ValidResource<TrafficPolicySpec>).spec).connectionPool
}

test('traffic policy: connectionPool defaults, and a surplus timeout that follows a shorter idleTimeout', () => {
  assert.deepEqual(pool('{}'), { idleTimeoutMs: 60_000, surplusIdleTimeoutMs: 3_000 })
  assert.deepEqual(pool('{ idleTimeout: 1s }'), { idleTimeoutMs: 1_000, surplusIdleTimeoutMs: 1_000 })
  assert.deepEqual(pool('{ idleTimeout: 10m, surplusIdleTimeout: 30s }'), { idleTimeoutMs: 600_000, surplusIdleTimeoutMs: 30_000 })
})
