import { test } from 'node:test'
import assert from 'node:assert/strict'
import { RestartBackoff } from './restart-backoff.js'

// Steps: `start` (a new process), `+Ns` (the clock moves on), `healthy` / `unhealthy` (what the owner
// sees), `exit` (the process died: its restart delay is recorded).
const live = (s: number, n: number) => Array.from({ length: n }, () => ['start', `+${s}s`, 'exit']).flat()

const cases: { name: string; steps: string[]; want: number[] }[] = [
  { name: 'crashing at once: doubling up to 10 s', steps: live(0, 9), want: [100, 200, 400, 800, 1600, 3200, 6400, 10_000, 10_000] },
  { name: 'alive 31 s each time but never healthy: the backoff keeps doubling', steps: live(31, 5), want: [100, 200, 400, 800, 1600] },
  {
    name: 'healthy for 30 s: reset, then doubling again',
    steps: [...live(1, 3), 'start', 'healthy', '+30s', 'healthy', '+60s', 'exit', ...live(1, 1)],
    want: [100, 200, 400, 100, 200],
  },
  {
    name: 'healthy, then unhealthy before 30 s: no reset, and the count starts again',
    steps: [...live(1, 3), 'start', 'healthy', '+20s', 'healthy', '+5s', 'unhealthy', '+10s', 'healthy', '+25s', 'healthy', 'exit'],
    want: [100, 200, 400, 800],
  },
  {
    name: 'health seen across a restart does not add up',
    steps: [...live(1, 3), 'start', 'healthy', '+20s', 'healthy', 'exit', 'start', 'healthy', '+20s', 'healthy', 'exit'],
    want: [100, 200, 400, 800, 1600],
  },
  {
    name: 'the reset holds once reached, whatever the health after it',
    steps: [...live(1, 4), 'start', 'healthy', '+31s', 'healthy', '+1s', 'unhealthy', 'exit'],
    want: [100, 200, 400, 800, 100],
  },
  { name: 'a long life without reports: no reset', steps: [...live(1, 2), 'start', 'healthy', '+600s', 'exit'], want: [100, 200, 400] },
]

for (const c of cases) {
  test(`restart backoff: ${c.name}`, () => {
    let now = 1_000_000
    const backoff = new RestartBackoff(() => now)
    const got: number[] = []
    for (const step of c.steps) {
      if (step === 'start') backoff.started()
      else if (step === 'exit') got.push(backoff.next())
      else if (step === 'healthy' || step === 'unhealthy') backoff.health(step === 'healthy')
      else now += Number(/^\+(\d+)s$/.exec(step)![1]) * 1000
    }
    assert.deepEqual(got, c.want)
  })
}
