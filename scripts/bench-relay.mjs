// Relay capacity: N stock js-libp2p clients holding reservations on one
// bootstrap relay process; reservations held, memory per reservation,
// signalling latency, relay CPU (what and why: ./lib/relay-load/index.mjs).
//
//   node --experimental-websocket scripts/bench-relay.mjs [--sizes 100,1000,5000]
//     [--exchanges 200] [--json FILE] [--rate 25] [--source-addresses 64] [--no-defaults]
//
// Prints a table and writes JSON (default bench-results/relay-load.json).
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { parseArgs } from 'node:util'
import { relayLoadTable, runRelayLoad } from './lib/relay-load/index.mjs'

const { values } = parseArgs({ options: {
  sizes: { type: 'string', default: '100,1000,5000' },
  exchanges: { type: 'string', default: '200' },
  json: { type: 'string', default: 'bench-results/relay-load.json' },
  rate: { type: 'string', default: '25' },
  'source-addresses': { type: 'string', default: '64' },
  'no-defaults': { type: 'boolean', default: false }
} })
const positive = (name, text) => {
  const n = Number(text)
  if (!(Number.isInteger(n) && n > 0)) {
    console.error(`--${name} must be a positive integer`)
    process.exit(2)
  }
  return n
}

const results = await runRelayLoad({
  sizes: values.sizes.split(',').map(s => positive('sizes', s.trim())),
  exchanges: positive('exchanges', values.exchanges),
  perSecond: positive('rate', values.rate),
  sourceAddresses: positive('source-addresses', values['source-addresses']),
  defaults: !values['no-defaults'],
  log: (msg) => process.stderr.write(`[bench-relay] ${msg}\n`)
})
console.log(relayLoadTable(results).join('\n'))
console.log(`\nfull run: ${results.durationS.toFixed(0)} s`)
mkdirSync(dirname(values.json), { recursive: true })
writeFileSync(values.json, JSON.stringify(results, null, 2) + '\n')
console.log(`wrote ${values.json}`)
