// `npm run bench:net`: the network figures (issue #11) on their own; `npm run
// bench` runs them too. See scripts/lib/bench-net.mjs and scripts/lib/relay-load/.
//
//   npm run bench:net -- [--json FILE] [--no-lab] [--no-signalling] [--no-relay-load] [--sizes 100,1000,5000]
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { startRelay } from './lib/relay-process.mjs'
import { freePort, launchChromium, startPreview } from './lib/browser.mjs'
import { runNetBench, printNetRows } from './lib/bench-net-run.mjs'

const { values } = parseArgs({ options: {
  json: { type: 'string', default: 'bench-results/net.json' },
  'no-lab': { type: 'boolean', default: false },
  'no-signalling': { type: 'boolean', default: false },
  'no-relay-load': { type: 'boolean', default: false },
  'no-build': { type: 'boolean', default: false },
  sizes: { type: 'string', default: '100,1000,5000' }
} })
const root = fileURLToPath(new URL('../', import.meta.url))
const log = (msg) => process.stderr.write(`[bench:net] ${msg}\n`)
if (!values['no-build'] && !values['no-signalling']) execFileSync(process.execPath, [fileURLToPath(new URL('../node_modules/vite/bin/vite.js', import.meta.url)), 'build', '--mode', 'testing', '--outDir', 'dist-test', '--logLevel', 'error'], { cwd: root, stdio: 'inherit' })

let loopback = null
if (!values['no-signalling']) {
  const relay = await startRelay({ port: 0 })
  const appPort = await freePort()
  const preview = await startPreview(appPort, 'dist-test')
  const browser = await launchChromium()
  loopback = { browser, origin: `http://127.0.0.1:${appPort}`, bootstrap: relay.multiaddrs[0], async stop () { await browser.close(); preview.kill('SIGTERM'); await relay.stop() } }
}
let result
try {
  result = await runNetBench({
    log,
    loopback,
    lab: !values['no-lab'],
    relayLoad: values['no-relay-load'] ? null : values.sizes.split(',').map(Number)
  })
} finally {
  await loopback?.stop()
}
console.log(`\nShallot network bench — ${new Date().toISOString()}`)
printNetRows(result)
mkdirSync(dirname(values.json), { recursive: true })
writeFileSync(values.json, JSON.stringify({ date: new Date().toISOString(), ...result }, null, 2))
console.log(`\nJSON written to ${values.json}`)
