// `npm run bench`: Shallot's figures on this machine, in one run, as ratios to
// baselines measured in the same run (issue #4 §7).
//
//   npm run bench -- [--tabs 6] [--builds 200] [--json FILE] [--no-build] [--no-chat] [--no-net] [--relay-sizes 100,1000,5000]
//
// Starts a bootstrap relay, `vite preview` of the test build (dist-test/: the
// app with its test hooks, built here as `npm run build:test` does) and N Chromium
// tabs running harness.html (the app's network and onion layers, no UI).
// Then the chat figures (./lib/bench-chat.mjs: two app tabs, Alice and Bob),
// then the network figures (./lib/bench-net.mjs: signalling routes on
// loopback, NAT kinds and TURN in the network lab when run as root, and the
// bootstrap relay's capacity, ./lib/relay-load/).
// Prints a table (median and p95) and writes one JSON object.
import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { fileURLToPath } from 'node:url'
import { startRelay } from './lib/relay-process.mjs'
import { freePort, launchChromium, startPreview } from './lib/browser.mjs'
import { benchChat, chatRows } from './lib/bench-chat.mjs'
import { printNetRows, runNetBench } from './lib/bench-net-run.mjs'
import { stats } from './lib/stats.mjs'
import { tsImport } from 'tsx/esm/api'

const { values } = parseArgs({ options: {
  tabs: { type: 'string', default: '6' },
  builds: { type: 'string', default: '200' },
  json: { type: 'string' },
  'no-build': { type: 'boolean', default: false },
  'no-chat': { type: 'boolean', default: false },
  'no-net': { type: 'boolean', default: false },
  'relay-sizes': { type: 'string', default: '100,1000,5000' }
} })
const TABS = Number(values.tabs)
const BUILDS = Number(values.builds)
const RTT_ROUNDS = 300
const IDLE_RTT_ROUNDS = 100
const LOADED_RTT_ROUNDS = 40
const GOODPUT_RUNS = 5
/**
 * Back-to-back builds go in series of this many with a pause between: a
 * relay takes CREATE_BURST (60) CREATEs per neighbour at once and then
 * CREATE_RATE_PER_SECOND (20), src/core/circuit/limits.ts, and one series
 * through three guards stays within that; the pause refills the buckets.
 */
const BACK_TO_BACK_SERIES = 40
const SERIES_PAUSE_MS = 3000
/** Builds each after BUILD_GAP_MS of quiet, and telescoped builds for comparison. */
const IDLE_BUILDS = 100
const TELESCOPED_BUILDS = 60
/**
 * Quiet before each build of the second series, as when a user acts (Tor's
 * anchor waits 250 ms). A link that has been quiet this long answers more
 * slowly (threads asleep in every tab on the way), so those builds are
 * compared with the echo RTT after the same quiet
 * (docs/notes/circuit-performance.md).
 */
const BUILD_GAP_MS = 100
const BULK_BYTES = 8_000_000
// The cell sizes are the app's own (TypeScript, loaded through tsx: this script runs on plain Node).
const { CELL_SIZE } = await tsImport('../src/core/constants.ts', import.meta.url)
const { RELAY_DATA_MAX } = await tsImport('../src/core/cell/relay.ts', import.meta.url)

const root = fileURLToPath(new URL('../', import.meta.url))
if (!values['no-build']) execFileSync(process.execPath, [fileURLToPath(new URL('../node_modules/vite/bin/vite.js', import.meta.url)), 'build', '--mode', 'testing', '--outDir', 'dist-test', '--logLevel', 'error'], { cwd: root, stdio: 'inherit' })

const log = (msg) => process.stderr.write(`[bench] ${msg}\n`)

const relay = await startRelay({ port: 0 })
const appPort = await freePort()
const preview = await startPreview(appPort, 'dist-test')
const browser = await launchChromium()
// frames=off: the harness records no cells (a copy of each, kept), which would cost the goodput figures.
const url = (extra = '') => `http://127.0.0.1:${appPort}/harness.html?bootstrap=${encodeURIComponent(relay.multiaddrs[0])}&frames=off${extra}`
const open = async (extra) => {
  const context = await browser.newContext()
  const page = await context.newPage()
  await page.goto(url(extra))
  return { context, page }
}
const knows = async (page, n) => await page.waitForFunction((k) => window.shallot?.knownRelays().length >= k && window.shallot.directPeers().length >= Math.min(k, 1), n, { timeout: 90_000, polling: 250 })

const result = {}
try {
  log(`opening ${TABS} tabs`)
  const tabs = []
  for (let i = 0; i < TABS; i++) { tabs.push(await open('')); await new Promise(r => setTimeout(r, 300)) }
  for (const t of tabs) await knows(t.page, TABS - 1)
  const a = tabs[0].page
  // Wait until A is directly connected to every other tab (the "open connections" case).
  await a.waitForFunction((n) => window.shallot.directPeers().length >= n, TABS - 1, { timeout: 60_000 })
  const ids = await Promise.all(tabs.map(t => t.page.evaluate(() => window.shallot.peerId())))
  const [, b, c, d] = ids

  log('raw one-link echo RTT')
  const raw = await a.evaluate(async ({ peer, n }) => await window.shallot.rawEchoRtts(peer, n, 32), { peer: b, n: RTT_ROUNDS + 20 })
  result.rawRttMs = stats(raw.slice(20))

  log('3-hop circuit echo RTT')
  const circ = await a.evaluate(async (path) => await window.shallot.build(path), [b, c, d])
  const crtt = await a.evaluate(async ({ h, n }) => await window.shallot.echoRtts(h, n, 32), { h: circ.handle, n: RTT_ROUNDS + 20 })
  result.circuitRttMs = stats(crtt.slice(20))
  log(`3-hop circuit echo RTT, each after ${BUILD_GAP_MS} ms idle (as the builds)`)
  const idleRtt = await a.evaluate(async ({ h, n, gap }) => await window.shallot.echoRtts(h, n, 32, gap), { h: circ.handle, n: IDLE_RTT_ROUNDS, gap: BUILD_GAP_MS })
  result.circuitRttIdleMs = stats(idleRtt)

  // Each goodput figure is the median of GOODPUT_RUNS after one warm-up run,
  // thrown away for both: the first transfer over a link ran at a fraction of
  // the later ones (a new data channel and its SCTP stream ramping up; JIT).
  log('raw one-link goodput')
  const rawGood = []
  for (let i = 0; i <= GOODPUT_RUNS; i++) rawGood.push(await a.evaluate(async ({ peer, n }) => await window.shallot.rawGoodput(peer, n), { peer: b, n: BULK_BYTES }))
  result.rawGoodputRuns = rawGood
  result.rawGoodputMBps = stats(rawGood.slice(1)).p50

  log('circuit goodput')
  const circGood = [await a.evaluate(async ({ h, n }) => await window.shallot.sink(h, n), { h: circ.handle, n: BULK_BYTES })]
  const cellsBefore = await a.evaluate(() => window.shallot.cellsOut())
  for (let i = 0; i < GOODPUT_RUNS; i++) circGood.push(await a.evaluate(async ({ h, n }) => await window.shallot.sink(h, n), { h: circ.handle, n: BULK_BYTES }))
  const cellsAfter = await a.evaluate(() => window.shallot.cellsOut())
  result.circuitGoodputRuns = circGood
  result.circuitGoodputMBps = stats(circGood.slice(1)).p50
  result.payloadEfficiency = (GOODPUT_RUNS * BULK_BYTES) / ((cellsAfter - cellsBefore) * CELL_SIZE)

  // A chat circuit beside a bulk one (issue #4: one bulk circuit must not
  // starve a chat circuit): echo round trips on a second circuit through the
  // same three hops while the first carries a bulk transfer.
  log('3-hop circuit echo RTT beside a bulk circuit on the same path')
  const chat = await a.evaluate(async (path) => await window.shallot.build(path), [b, c, d])
  const loaded = await a.evaluate(async ({ bulk, chat, n, gap }) => {
    let running = true
    const transfer = (async () => { while (running) await window.shallot.sink(bulk, 4_000_000) })()
    await new Promise(resolve => setTimeout(resolve, 500))
    const rtts = await window.shallot.echoRtts(chat, n, 32, gap)
    running = false
    await transfer
    return rtts
  }, { bulk: circ.handle, chat: chat.handle, n: LOADED_RTT_ROUNDS, gap: 50 })
  result.circuitRttBesideBulkMs = stats(loaded)
  await a.evaluate((h) => window.shallot.destroy(h), chat.handle)
  result.payloadEfficiencySpec = RELAY_DATA_MAX / CELL_SIZE
  await a.evaluate((h) => window.shallot.destroy(h), circ.handle)

  // Builds over open connections, measured as the circuit RTT they are
  // compared with: back to back (the goal's ratio), and each after
  // BUILD_GAP_MS of quiet against the echo after the same quiet. Both count
  // toward the success rate (docs/notes/circuit-performance.md).
  const runBuilds = async (n, gap, telescope) => await a.evaluate(async ({ n, gap, telescope, chunk, pauseMs }) => {
    const ms = []
    const errors = {}
    // Back to back, a series' circuits stay open until its end: a DESTROY
    // running along the previous path would otherwise slow the next build.
    let open = []
    for (let i = 0; i < n; i++) {
      if (gap > 0) await new Promise(resolve => setTimeout(resolve, gap))
      // Relays take at most CREATE_BURST CREATEs per neighbour at once (then
      // CREATE_RATE_PER_SECOND): back-to-back builds pause between series.
      else if (i > 0 && i % chunk === 0) {
        for (const h of open.splice(0)) window.shallot.destroy(h)
        await new Promise(resolve => setTimeout(resolve, pauseMs))
      }
      try {
        const r = await window.shallot.build(undefined, { telescope })
        ms.push(r.ms)
        if (gap > 0) window.shallot.destroy(r.handle)
        else open.push(r.handle)
      } catch (err) {
        errors[err.name] = (errors[err.name] ?? 0) + 1
      }
    }
    for (const h of open) window.shallot.destroy(h)
    await new Promise(resolve => setTimeout(resolve, pauseMs))
    return { ms, errors, tried: n }
  }, { n, gap, telescope, chunk: BACK_TO_BACK_SERIES, pauseMs: SERIES_PAUSE_MS })
  log(`${BUILDS} circuit builds over open connections, back to back`)
  const builds = await runBuilds(BUILDS, 0, false)
  log(`${IDLE_BUILDS} circuit builds over open connections, ${BUILD_GAP_MS} ms apart`)
  const idleBuilds = await runBuilds(IDLE_BUILDS, BUILD_GAP_MS, false)
  log(`${TELESCOPED_BUILDS} circuit builds by telescoping, back to back (for comparison)`)
  const telescoped = await runBuilds(TELESCOPED_BUILDS, 0, true)
  result.buildMsOpen = stats(builds.ms)
  result.buildToRttRatio = result.buildMsOpen.p50 / result.circuitRttMs.p50
  result.buildMsOpenAfterIdle = stats(idleBuilds.ms)
  result.buildAfterIdleToIdleRttRatio = result.buildMsOpenAfterIdle.p50 / result.circuitRttIdleMs.p50
  // Builds after quiet against echoes back to back: not like for like, shown for completeness.
  result.buildAfterIdleToRttRatio = result.buildMsOpenAfterIdle.p50 / result.circuitRttMs.p50
  result.buildMsTelescoping = stats(telescoped.ms)
  const all = [builds, idleBuilds, telescoped]
  result.buildsTried = all.reduce((n, b) => n + b.tried, 0)
  result.buildSuccessRate = all.reduce((n, b) => n + b.ms.length, 0) / result.buildsTried
  result.buildErrors = Object.fromEntries(all.flatMap(b => Object.entries(b.errors)).reduce((m, [k, v]) => m.set(k, (m.get(k) ?? 0) + v), new Map()))

  log('circuit builds over fresh connections')
  const fresh = []
  const freshErrors = []
  // Earlier fresh tabs are closed, but their descriptors stay in directories until they expire.
  const departed = []
  for (let i = 0; i < 5; i++) {
    const t = await open('&peers=1')
    await t.page.waitForFunction(({ k, gone }) => window.shallot?.knownRelays().filter(id => !gone.includes(id)).length >= k && window.shallot.directPeers().length >= 1, { k: TABS, gone: departed }, { timeout: 90_000, polling: 250 })
    const r = await t.page.evaluate(async (gone) => {
      const neighbours = new Set(window.shallot.directPeers())
      const relays = window.shallot.knownRelays().filter(id => !neighbours.has(id) && !gone.includes(id))
      const path = relays.slice(0, 3)
      return await window.shallot.build(path)
    }, departed).catch(err => ({ error: String(err) }))
    if (r.ms != null) fresh.push(r.ms)
    else freshErrors.push(r.error)
    departed.push(await t.page.evaluate(() => window.shallot.peerId()))
    await t.context.close()
  }
  result.buildMsFresh = stats(fresh)
  result.buildFreshErrors = freshErrors

  log('cell crypto')
  const cb = await a.evaluate(() => window.shallot.cryptoBench(20000))
  result.cryptoUsPerCellHop = cb.forwardUs
  result.cryptoUsPerCellOriginate = cb.originateUs

  if (!values['no-chat']) Object.assign(result, await benchChat({ browser, origin: `http://127.0.0.1:${appPort}`, bootstrap: relay.multiaddrs[0], relays: tabs, log, stats }))
  for (const t of tabs) await t.context.close().catch(() => {})
  if (!values['no-net']) {
    result.net = await runNetBench({
      log,
      loopback: { browser, origin: `http://127.0.0.1:${appPort}`, bootstrap: relay.multiaddrs[0] },
      lab: true,
      relayLoad: values['relay-sizes'].split(',').map(Number)
    })
  }
} finally {
  await browser.close()
  preview.kill('SIGTERM')
  await relay.stop()
}

const ratio = (x, y) => (x / y).toFixed(2)
const f = (x, d = 2) => (x == null ? '—' : Number(x).toFixed(d))
const rows = [
  ['raw WebRTC one-link echo RTT (32 B)', `median ${f(result.rawRttMs.p50)} ms`, `p95 ${f(result.rawRttMs.p95)} ms`, 'baseline'],
  ['3-hop circuit echo RTT (32 B)', `median ${f(result.circuitRttMs.p50)} ms`, `p95 ${f(result.circuitRttMs.p95)} ms`, `×${ratio(result.circuitRttMs.p50, result.rawRttMs.p50)} raw (goal ≤ 5)`],
  ['3-hop circuit echo RTT after idle', `median ${f(result.circuitRttIdleMs.p50)} ms`, `p95 ${f(result.circuitRttIdleMs.p95)} ms`, `${BUILD_GAP_MS} ms quiet before each, as the builds`],
  ['circuit build, open connections', `median ${f(result.buildMsOpen.p50)} ms`, `p95 ${f(result.buildMsOpen.p95)} ms`, `×${ratio(result.buildMsOpen.p50, result.circuitRttMs.p50)} circuit RTT (goal ≤ 2.5; both back to back)`],
  [`circuit build after ${BUILD_GAP_MS} ms quiet`, `median ${f(result.buildMsOpenAfterIdle.p50)} ms`, `p95 ${f(result.buildMsOpenAfterIdle.p95)} ms`, `×${ratio(result.buildMsOpenAfterIdle.p50, result.circuitRttIdleMs.p50)} RTT after the same quiet; ×${ratio(result.buildMsOpenAfterIdle.p50, result.circuitRttMs.p50)} back-to-back RTT`],
  ['circuit build by telescoping', `median ${f(result.buildMsTelescoping.p50)} ms`, `p95 ${f(result.buildMsTelescoping.p95)} ms`, `×${ratio(result.buildMsTelescoping.p50, result.circuitRttMs.p50)} circuit RTT (back to back; for comparison)`],
  ['circuit build, fresh connections', `median ${f(result.buildMsFresh.p50)} ms`, `p95 ${f(result.buildMsFresh.p95)} ms`, `n=${result.buildMsFresh.n}`],
  ['build success', `${(result.buildSuccessRate * 100).toFixed(1)} %`, `of ${result.buildsTried}`, `goal ≥ 99 %${Object.keys(result.buildErrors).length ? ' ' + JSON.stringify(result.buildErrors) : ''}`],
  ['3-hop echo RTT beside a bulk circuit', `median ${f(result.circuitRttBesideBulkMs.p50)} ms`, `p95 ${f(result.circuitRttBesideBulkMs.p95)} ms`, 'same three hops, bulk on the other circuit'],
  ['bulk goodput raw / circuit', `${f(result.rawGoodputMBps)} MB/s`, `${f(result.circuitGoodputMBps)} MB/s`, `ratio ${ratio(result.circuitGoodputMBps, result.rawGoodputMBps)} (goal ≥ 0.20)`],
  ['payload efficiency', `measured ${f(result.payloadEfficiency, 4)}`, `spec ${f(result.payloadEfficiencySpec, 4)}`, 'goal ≥ 0.90'],
  ['cell crypto per hop', `${f(result.cryptoUsPerCellHop)} µs forward`, `${f(result.cryptoUsPerCellOriginate)} µs originate`, 'per 1024-byte cell'],
  ...(values['no-chat'] ? [] : chatRows(result, f, ratio))
]
console.log(`\nShallot bench — ${new Date().toISOString()} — ${TABS} tabs, Chromium, loopback + WebRTC`)
for (const r of rows) console.log(`${r[0].padEnd(38)} | ${r[1].padEnd(22)} | ${r[2].padEnd(22)} | ${r[3]}`)
if (result.net != null) {
  console.log('\nNetwork')
  printNetRows(result.net)
}
const out = values.json ?? 'bench-results/latest.json'
mkdirSync(fileURLToPath(new URL('../bench-results/', import.meta.url)), { recursive: true })
writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), tabs: TABS, builds: BUILDS, ...result }, null, 2))
console.log(`\nJSON written to ${out}`)
