import type { LoadBalancerType } from '../../ir/policy.js'
import { BALANCER_TYPES, buildBalancer } from './registry.js'
import { runBalancerContract } from './contract.test-suite.js'

let clock = 0
const now = () => clock++

for (const type of BALANCER_TYPES) {
  const hashOn = type === 'RingHash' ? { header: 'x-user', cookie: null, sourceIP: false } : null
  runBalancerContract(type, (endpoints, random) =>
    buildBalancer({ type: type as LoadBalancerType, hashOn }, endpoints, random, now))
}
