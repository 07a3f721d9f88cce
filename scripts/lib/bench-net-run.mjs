// Runs the network bench parts and prints them as table rows (shared by
// scripts/bench.mjs and scripts/bench-net.mjs).
import { benchLab, benchSignalling, netRows } from './bench-net.mjs'
import { stats } from './stats.mjs'

const f = (x, d = 2) => (x == null || Number.isNaN(x) ? '—' : Number(x).toFixed(d))

export async function runNetBench ({ log, loopback, lab, relayLoad }) {
  const result = {}
  if (loopback != null) result.signalling = await benchSignalling({ ...loopback, log })
  if (lab) result.lab = await benchLab({ log, stats })
  if (relayLoad != null) {
    const { runRelayLoad, relayLoadTable } = await import('./relay-load/index.mjs')
    result.relayLoad = await runRelayLoad({ sizes: relayLoad, log })
    result.relayLoadRows = relayLoadTable(result.relayLoad)
  }
  return result
}

export function printNetRows (result) {
  for (const r of netRows(result, f)) console.log(`${r[0].padEnd(44)} | ${r[1].padEnd(22)} | ${r[2].padEnd(22)} | ${r[3]}`)
  if (result.relayLoadRows != null) {
    console.log('\nBootstrap relay load (stock js-libp2p Node clients, one relay process, loopback)')
    for (const line of result.relayLoadRows) console.log(line)
  }
}
