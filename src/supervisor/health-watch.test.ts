// `up`'s health watch reports what it sees to the processes it supervises, whose restart backoff then
// resets after 30 s of health, not of life. Real child processes, killed by the test; the backoff's
// clock is the test's, so nothing waits 30 s.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { HealthWatch } from './health-watch.js'
import { ManagedProcess } from './managed-process.js'
import { RestartBackoff } from './restart-backoff.js'

async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 400; i++) { if (ok()) return; await new Promise(r => setTimeout(r, 25)) }
  throw new Error(`timed out waiting for ${what}`)
}

test('a process alive but never healthy keeps backing off; 30 s of health resets it; a late answer about a replaced child is dropped', async () => {
  let now = 0
  const lines: string[] = []
  const proc = new ManagedProcess({
    name: 'app', command: process.execPath, args: ['-e', 'setInterval(() => {}, 1 << 30)'], cwd: process.cwd(), env: process.env,
  }, line => lines.push(line), undefined, new RestartBackoff(() => now))
  let answer: () => Promise<boolean | null> = async () => null
  const watch = new HealthWatch(() => [{ process: proc, check: () => answer() }], new AbortController().signal)
  const report = async (healthy: boolean) => { answer = async () => healthy; await watch.round() }
  let pid: number | null = null

  /** Waits for the next child, runs `life` with it, kills it, and returns the restart delay announced. */
  async function life(run: () => Promise<void>): Promise<number> {
    await until('a new child', () => proc.pid !== null && proc.pid !== pid)
    pid = proc.pid
    await run()
    const seen = lines.length
    proc.child!.kill('SIGKILL')
    await until('the restart', () => lines.slice(seen).some(l => l.includes('restarting in')))
    return Number(/restarting in (\d+) ms/.exec(lines.slice(seen).find(l => l.includes('restarting in'))!)![1])
  }

  proc.start()
  try {
    const delays: number[] = []
    for (let i = 0; i < 3; i++) {
      delays.push(await life(async () => { await report(false); now += 31_000; await report(false) }))
    }
    assert.deepEqual(delays, [100, 200, 400], 'alive 31 s each time, never healthy')

    assert.equal(await life(async () => { await report(true); now += 30_000; await report(true) }), 100, '30 s of health resets')

    assert.equal(await life(async () => {
      await report(true); now += 20_000; await report(false); now += 15_000; await report(true); now += 20_000; await report(true)
    }), 200, 'healthy, then unhealthy before 30 s: no reset')

    // A check still under way when its child dies answers about that child, not the next one.
    let release!: (healthy: boolean) => void
    let late!: Promise<void>
    assert.equal(await life(async () => {
      answer = () => new Promise(r => { release = r })
      late = watch.round()
    }), 400)
    assert.equal(await life(async () => {
      release(true)
      await late
      now += 30_000
      await report(true)                                   // the first report of this child: 0 s of health
    }), 800, 'the late answer did not count for the new child')
  } finally {
    await proc.stop(1000)
  }
})

test('only a process restarted after a crash is checked: a mesh where nothing crashed costs no requests', async () => {
  const lines: string[] = []
  const proc = new ManagedProcess({
    name: 'app', command: process.execPath, args: ['-e', 'setInterval(() => {}, 1 << 30)'], cwd: process.cwd(), env: process.env,
  }, line => lines.push(line))
  let checks = 0
  const watch = new HealthWatch(() => [{ process: proc, check: async () => { checks++; return true } }], new AbortController().signal)
  proc.start()
  try {
    await until('the child', () => proc.pid !== null)
    await watch.round()
    assert.equal(checks, 0, 'never crashed: nothing to reset, so no check')
    const first = proc.pid
    proc.child!.kill('SIGKILL')
    await until('the restart', () => proc.pid !== null && proc.pid !== first)
    await watch.round()
    assert.equal(checks, 1, 'restarted after a crash: its health decides when the backoff resets')
  } finally {
    await proc.stop(1000)
  }
})
