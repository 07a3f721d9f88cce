// Measures, for issue #2's note: time from page load to the first direct
// WebRTC peer (median over N tabs) and memory per tab (Chromium's JS heap via
// performance.memory, and the renderer's total via CDP's SystemInfo/Memory).
//
//   npm run build && npm run measure:join -- [--tabs 5] [--json FILE]
//
// Starts its own bootstrap relay and `vite preview` on free ports.
import { writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { startRelay } from './lib/relay-process.mjs'
import { launchChromium, freePort, startPreview } from './lib/browser.mjs'
import { percentile } from './lib/stats.mjs'

const { values } = parseArgs({ options: { tabs: { type: 'string', default: '5' }, json: { type: 'string' } } })
const tabs = Number(values.tabs)

const relay = await startRelay({ port: 0 })
const appPort = await freePort()
const preview = await startPreview(appPort)
const browser = await launchChromium()
const results = []
try {
  const pages = []
  for (let i = 0; i < tabs; i++) {
    const context = await browser.newContext()
    const page = await context.newPage()
    const loadStart = Date.now()
    await page.goto(`http://127.0.0.1:${appPort}/?bootstrap=${encodeURIComponent(relay.multiaddrs[0])}`)
    pages.push({ page, context, loadStart })
  }
  for (const { page, loadStart } of pages) {
    // navigationStart → first direct peer, measured inside the page.
    const handle = await page.waitForFunction(() => {
      const row = document.querySelector('table[aria-label="Connected peers"] tr[data-peer-kind="direct-webrtc"]')
      return row != null ? performance.now() : null
    }, null, { timeout: 60_000, polling: 50 })
    const firstPeerMs = await handle.jsonValue()
    results.push({ firstPeerMs, wallMs: Date.now() - loadStart })
  }
  // Let the network settle (all tabs at their peer target), then read memory.
  await new Promise(resolve => setTimeout(resolve, 10_000))
  for (const [i, { page }] of pages.entries()) {
    const heap = await page.evaluate(() => {
      const m = performance.memory
      return m != null ? { used: m.usedJSHeapSize, total: m.totalJSHeapSize } : null
    })
    const cdp = await page.context().newCDPSession(page)
    const { metrics } = await cdp.send('Performance.enable').then(() => cdp.send('Performance.getMetrics'))
    const jsHeapUsed = metrics.find(m => m.name === 'JSHeapUsedSize')?.value ?? null
    const direct = await page.locator('tr[data-peer-kind="direct-webrtc"]').count()
    results[i] = { ...results[i], jsHeapUsedMiB: (heap?.used ?? jsHeapUsed ?? 0) / 2 ** 20, jsHeapTotalMiB: (heap?.total ?? 0) / 2 ** 20, directPeers: direct }
  }
  const pids = await rendererMemory()
  const median = (xs) => percentile(xs, 0.5)
  const summary = {
    tabs,
    firstDirectPeerMs: { median: median(results.map(r => r.firstPeerMs)), all: results.map(r => Math.round(r.firstPeerMs)) },
    jsHeapUsedMiB: { median: median(results.map(r => r.jsHeapUsedMiB)) },
    rendererRssMiB: pids,
    directPeers: results.map(r => r.directPeers)
  }
  console.log('\nShallot join figures')
  console.log(`tabs                               ${tabs}`)
  console.log(`page load → first direct peer      median ${summary.firstDirectPeerMs.median.toFixed(0)} ms (all: ${summary.firstDirectPeerMs.all.join(', ')})`)
  console.log(`JS heap used per tab               median ${summary.jsHeapUsedMiB.median.toFixed(1)} MiB`)
  if (pids != null) console.log(`renderer RSS per tab               median ${pids.median.toFixed(0)} MiB (n=${pids.n})`)
  console.log(`direct peers per tab after 10 s    ${summary.directPeers.join(', ')}`)
  if (values.json != null) writeFileSync(values.json, JSON.stringify(summary, null, 2))
} finally {
  await browser.close()
  preview.kill('SIGTERM')
  await relay.stop()
}

// Resident memory of Chromium renderer processes (Linux /proc), a proxy for memory per tab.
async function rendererMemory () {
  const { readdirSync, readFileSync } = await import('node:fs')
  const rss = []
  for (const pid of readdirSync('/proc').filter(p => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      if (!cmd.includes('--type=renderer') || cmd.includes('--extension-process')) continue
      const status = readFileSync(`/proc/${pid}/status`, 'utf8')
      const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1])
      if (kb > 0) rss.push(kb / 1024)
    } catch { /* process gone */ }
  }
  if (rss.length === 0) return null
  return { median: percentile(rss, 0.5), n: rss.length }
}
