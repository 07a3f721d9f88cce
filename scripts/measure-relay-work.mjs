// `node --import tsx scripts/measure-relay-work.mjs [effort] [runs]`: what the
// relay-descriptor proof of work (src/core/directory/work.ts) costs an honest
// tab and an attacker on this machine. Solves `runs` times (default 9) at
// `effort` (default DEFAULT_RELAY_WORK_EFFORT) with hash-wasm's blake2b, the
// implementation the tab's Web Worker uses, and prints the median and mean
// CPU time of one solve (process CPU time, so a loaded machine does not
// inflate it; wall time beside it) and the hash rate; then the attacker's cost to keep 1,000
// identities listed (each needs a fresh proof every epoch) on CPUs like this
// one. A GPU or ASIC does blake2b far faster: see docs/PROTOCOL.md.
import { createBLAKE2b } from 'hash-wasm'
import { relayWorkInput, searchRelayWork } from '../src/core/directory/work.ts'
import { DEFAULT_RELAY_WORK_EFFORT, RELAY_WORK_EPOCH_MS } from '../src/core/directory/limits.ts'

const effort = Number(process.argv[2] ?? DEFAULT_RELAY_WORK_EFFORT)
const runs = Number(process.argv[3] ?? 9)
const h = await createBLAKE2b(32)
const hash = (input) => { h.init(); h.update(input); const d = h.digest('binary'); return ((d[0] << 24) | (d[1] << 16) | (d[2] << 8) | d[3]) >>> 0 }
const signingKey = crypto.getRandomValues(new Uint8Array(32))

const times = []
const walls = []
let totalAttempts = 0
for (let i = 0; i < runs; i++) {
  const start = new Uint8Array(16)
  crypto.getRandomValues(start.subarray(8))
  const input = relayWorkInput({ signingKey, epoch: 1, effort }, start)
  const t0 = process.cpuUsage()
  const w0 = performance.now()
  let attempts = 0
  for (;;) {
    const nonce = searchRelayWork(input, effort, 1 << 16, hash)
    if (nonce != null) { attempts += new DataView(nonce.buffer).getUint32(0, true) - attempts + 1; break }
    attempts += 1 << 16
  }
  const used = process.cpuUsage(t0)
  times.push((used.user + used.system) / 1000)
  walls.push(performance.now() - w0)
  totalAttempts += attempts
}
const sorted = [...times].sort((a, b) => a - b)
const median = sorted[Math.floor(sorted.length / 2)]
const totalMs = times.reduce((a, b) => a + b, 0)
const rate = totalAttempts / (totalMs / 1000)
const expectedMs = effort / rate * 1000
const epochsPerDay = 86_400_000 / RELAY_WORK_EPOCH_MS
const attackerCoreSeconds = 1000 * effort / rate
const wallMedian = [...walls].sort((a, b) => a - b)[Math.floor(walls.length / 2)]
console.log(`effort ${effort}, ${runs} solves, CPU time: median ${median.toFixed(0)} ms, mean ${(totalMs / runs).toFixed(0)} ms, min ${sorted[0].toFixed(0)} ms, max ${sorted.at(-1).toFixed(0)} ms (wall median ${wallMedian.toFixed(0)} ms)`)
console.log(`hash rate ${(rate / 1e6).toFixed(2)} M blake2b/s on one core; expected ${expectedMs.toFixed(0)} ms per solve (effort / rate)`)
console.log(`attacker, 1,000 identities: ${(attackerCoreSeconds / 60).toFixed(1)} core-minutes per epoch (${RELAY_WORK_EPOCH_MS / 60_000} min), i.e. ${(attackerCoreSeconds / RELAY_WORK_EPOCH_MS * 1000).toFixed(2)} cores busy all the time, ${(attackerCoreSeconds * epochsPerDay / 3600).toFixed(1)} core-hours a day`)
