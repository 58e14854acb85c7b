// Preload (node --import) for bench/profile.sh ALLOC=1: V8's sampling heap profiler, counting the
// objects already collected too, so the profile shows everything allocated, not what survived.
// The first SIGUSR2 starts sampling (after the warm-up); the second writes ALLOC_OUT.
import { Session } from 'node:inspector'
import { writeFileSync } from 'node:fs'

const session = new Session()
session.connect()
const post = (method, params) => new Promise((resolve, reject) => session.post(method, params, (err, r) => (err ? reject(err) : resolve(r))))
let sampling = false
process.on('SIGUSR2', async () => {
  if (!sampling) {
    sampling = true
    await post('HeapProfiler.enable')
    await post('HeapProfiler.startSampling', { samplingInterval: 512, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true })
    return
  }
  const { profile } = await post('HeapProfiler.stopSampling')
  writeFileSync(process.env.ALLOC_OUT, JSON.stringify(profile))
})
