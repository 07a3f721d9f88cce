// Preloaded into the bootstrap relay by the load test (`node --expose-gc
// --import` this file; the relay's own code is untouched). It prints on stderr:
//
// - every REPORT_MS, `RELAY_LOAD_LOOP <json>`: the event loop's delay over
//   that period (how late timers ran: the lag every relayed message also waits);
// - on SIGUSR2, `RELAY_LOAD_PROBE <json>`: the loop delay since the previous
//   probe, then process.memoryUsage() right after a full GC, so memory is read
//   without garbage.
import { monitorEventLoopDelay } from 'node:perf_hooks'

const RESOLUTION_MS = 10
const REPORT_MS = 5_000

function loopDelay () {
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS })
  histogram.enable()
  // The histogram holds the whole interval between samples; the delay is what exceeds the resolution.
  const ms = (ns) => Math.max(0, ns / 1e6 - RESOLUTION_MS)
  return () => {
    const delay = { p50: ms(histogram.percentile(50)), p99: ms(histogram.percentile(99)), max: ms(histogram.max) }
    histogram.reset()
    return delay
  }
}

const periodic = loopDelay()
setInterval(() => { process.stderr.write(`RELAY_LOAD_LOOP ${JSON.stringify(periodic())}\n`) }, REPORT_MS).unref()

const sinceProbe = loopDelay()
process.on('SIGUSR2', () => {
  const loopDelayMs = sinceProbe()
  globalThis.gc?.()
  process.stderr.write(`RELAY_LOAD_PROBE ${JSON.stringify({ loopDelayMs, memory: process.memoryUsage() })}\n`)
})
