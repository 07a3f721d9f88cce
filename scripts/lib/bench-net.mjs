// The network figures of `npm run bench` (issue #11), two parts:
//
// 1. In the network lab (scripts/netlab/, root only): tabs of the production
//    build behind cone and symmetric NATs, coturn and the relay behind Caddy.
//    Time from page load to the first direct peer per NAT kind (a new tab
//    joining tabs already there), and the share of connections that go
//    through TURN, read from the browsers' getStats().
// 2. On loopback (harness tabs, ?peers=4 so the mesh is sparse): the share of
//    WebRTC connections whose signalling crossed a bootstrap relay after the
//    first minute, while tabs come and go and circuits are built through tabs
//    that are not neighbours.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from '@playwright/test'
import { CHROMIUM_ARGS } from './browser.mjs'
import { createLab, ensurePrerequisites, sweepStale } from '../netlab/lab.mjs'
import { labChromiumArgs, startServerStack } from '../netlab/services.mjs'
import { buildLabApp } from '../netlab/build-app.mjs'

/** New tabs measured per home in the lab (each joins the tabs already there). */
const JOINS_PER_HOME = 3
/** How long the TURN traffic of an idle relayed tab is sampled. */
const TURN_SAMPLE_MS = 60_000
/** Tabs already in the lab before the measured ones join. */
const SEED_TABS = 2
/** Loopback part: tabs, neighbours each, how long, and the churn. */
const SIGNAL_TABS = 9
const SIGNAL_PEERS = 4
const SIGNAL_WARMUP_MS = Number(process.env.SHALLOT_BENCH_SIGNAL_WARMUP_MS ?? 60_000)
const SIGNAL_MEASURE_MS = Number(process.env.SHALLOT_BENCH_SIGNAL_MEASURE_MS ?? 120_000)
const CHURN_EVERY_MS = 20_000
const BUILD_EVERY_MS = 4_000

/** In the page, before the app: note when the first direct peer row appears, and record every RTCPeerConnection. */
function instrument () {
  const Native = window.RTCPeerConnection
  const pcs = []
  window.benchPcs = pcs
  window.RTCPeerConnection = class extends Native {
    constructor (config) { super(config); pcs.push(this) }
  }
  const seen = () => {
    if (window.benchFirstDirectMs == null && document.querySelector('tr[data-peer-kind="direct-webrtc"]') != null) window.benchFirstDirectMs = performance.now()
  }
  new MutationObserver(seen).observe(document, { subtree: true, childList: true })
}

/** Relayed / not, for every connected RTCPeerConnection of a page. */
async function pathsOf (page) {
  return await page.evaluate(async () => {
    const out = []
    for (const pc of window.benchPcs ?? []) {
      if (pc.connectionState !== 'connected') continue
      const byId = new Map()
      ;(await pc.getStats()).forEach(s => byId.set(s.id, s))
      const t = [...byId.values()].find(s => s.type === 'transport' && s.selectedCandidatePairId != null)
      const pair = t != null ? byId.get(t.selectedCandidatePairId) : undefined
      if (pair == null) continue
      const l = byId.get(pair.localCandidateId)?.candidateType
      const r = byId.get(pair.remoteCandidateId)?.candidateType
      out.push({ relayed: l === 'relay' || r === 'relay', local: l, remote: r })
    }
    return out
  })
}

export async function benchLab ({ log, stats }) {
  if (process.getuid?.() !== 0) return { skipped: 'the network lab needs root (network namespaces): run the bench as root for these figures' }
  ensurePrerequisites()
  sweepStale()
  const lab = createLab({ homes: [{ name: 'h1', nat: 'cone' }, { name: 'h2', nat: 'cone' }, { name: 'h3', nat: 'symmetric' }, { name: 'h4', nat: 'cone' }] })
  const dir = mkdtempSync(join(tmpdir(), 'shallot-bench-net-'))
  const browsers = []
  try {
    log('lab: building the app for the lab')
    await buildLabApp(join(dir, 'dist'))
    const stack = await startServerStack(lab, { appRoot: join(dir, 'dist'), turnTtl: 3600 })
    const launch = async (home) => {
      const b = await chromium.launch({ executablePath: lab.chromiumWrapper(lab.homes[home].ns), headless: true, args: [...CHROMIUM_ARGS, ...labChromiumArgs] })
      browsers.push(b)
      return b
    }
    const inHome = {}
    for (const h of ['h1', 'h2', 'h3', 'h4']) inHome[h] = await launch(h)
    const open = async (home) => {
      const context = await inHome[home].newContext()
      await context.addInitScript(instrument)
      const page = await context.newPage()
      await page.goto(stack.appUrl)
      return { context, page }
    }
    const directCount = async (page) => await page.locator('tr[data-peer-kind="direct-webrtc"]').count()
    log(`lab: ${SEED_TABS} tabs already there (h4, cone NAT)`)
    const seeds = []
    for (let i = 0; i < SEED_TABS; i++) seeds.push(await open('h4'))
    for (const s of seeds) {
      const deadline = Date.now() + 90_000
      while (await directCount(s.page) < SEED_TABS - 1 && Date.now() < deadline) await s.page.waitForTimeout(250)
    }
    const result = { firstDirectPeerMs: {}, joinFailures: {} }
    const kinds = [['h1', 'cone'], ['h2', 'cone'], ['h3', 'symmetric']]
    const kept = []
    for (const [home, kind] of kinds) {
      const times = result.firstDirectPeerMs[kind] ?? []
      for (let i = 0; i < JOINS_PER_HOME; i++) {
        const tab = await open(home)
        const ms = await tab.page.waitForFunction(() => window.benchFirstDirectMs, null, { timeout: 90_000, polling: 100 }).then(h => h.jsonValue(), () => null)
        if (ms != null) times.push(ms)
        else result.joinFailures[kind] = (result.joinFailures[kind] ?? 0) + 1
        // Keep one tab per home for the TURN share; close the others.
        if (i === JOINS_PER_HOME - 1) kept.push(tab)
        else await tab.context.close()
      }
      result.firstDirectPeerMs[kind] = times
      log(`lab: ${kind} (${home}) page load → first direct peer: ${times.map(t => Math.round(t)).join(', ')} ms`)
    }
    await new Promise(resolve => setTimeout(resolve, 15_000))
    // What a tab behind the symmetric NAT sends and receives through TURN while idle (pings,
    // gossip, keep-alives, its share of relaying): the TURN operator's cost per such tab.
    const sym = kept[kept.length - 1].page
    const bytes = async () => await sym.evaluate(async () => {
      let total = 0
      for (const pc of window.benchPcs ?? []) {
        if (pc.connectionState !== 'connected') continue
        ;(await pc.getStats()).forEach(s => { if (s.type === 'transport') total += (s.bytesSent ?? 0) + (s.bytesReceived ?? 0) })
      }
      return total
    })
    const b0 = await bytes()
    await new Promise(resolve => setTimeout(resolve, TURN_SAMPLE_MS))
    result.turnBytesPerTabHour = (await bytes() - b0) * 3_600_000 / TURN_SAMPLE_MS
    log(`lab: an idle tab behind the symmetric NAT moves ${Math.round(result.turnBytesPerTabHour / 1e6)} MB/hour through TURN`)
    const paths = []
    for (const t of [...seeds, ...kept]) paths.push(...await pathsOf(t.page))
    result.connections = paths.length
    result.viaTurn = paths.filter(p => p.relayed).length
    result.mix = `${SEED_TABS}+1 cone (h4, h1), 1 cone (h2), 1 symmetric (h3); each connection counted at both ends`
    for (const kind of Object.keys(result.firstDirectPeerMs)) result.firstDirectPeerMs[kind] = stats(result.firstDirectPeerMs[kind])
    return result
  } finally {
    await Promise.allSettled(browsers.map(async b => { await b.close() }))
    await lab.destroy()
    rmSync(dir, { recursive: true, force: true })
  }
}

export async function benchSignalling ({ browser, origin, bootstrap, log }) {
  const url = `${origin}/harness.html?bootstrap=${encodeURIComponent(bootstrap)}&frames=off&peers=${SIGNAL_PEERS}`
  const t0 = Date.now()
  const records = []
  const tabs = []
  const open = async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    const openedAt = Date.now()
    await page.goto(url)
    const tab = { context, page, openedAt }
    tabs.push(tab)
    return tab
  }
  const collect = async (tab) => {
    const recs = await tab.page.evaluate(() => window.shallot.dialRecords()).catch(() => [])
    recs.forEach((r, i) => records.push({ ...r, atMs: tab.openedAt - t0 + r.at, first: i === 0 }))
  }
  const close = async (tab) => {
    await collect(tab)
    tabs.splice(tabs.indexOf(tab), 1)
    await tab.context.close()
  }
  log(`signalling: ${SIGNAL_TABS} tabs keeping ${SIGNAL_PEERS} neighbours each; measured after ${SIGNAL_WARMUP_MS / 1000} s for ${SIGNAL_MEASURE_MS / 1000} s with churn and circuit builds`)
  for (let i = 0; i < SIGNAL_TABS; i++) await open()
  await new Promise(resolve => setTimeout(resolve, SIGNAL_WARMUP_MS))
  const end = Date.now() + SIGNAL_MEASURE_MS
  let nextChurn = Date.now() + CHURN_EVERY_MS
  let builds = 0
  let buildFailures = 0
  const buildErrors = {}
  while (Date.now() < end) {
    if (Date.now() >= nextChurn) {
      nextChurn += CHURN_EVERY_MS
      await close(tabs[Math.floor(Math.random() * tabs.length)])
      await open()
    }
    // A circuit through three random tabs: some hops are not neighbours of the one before.
    const client = tabs[Math.floor(Math.random() * tabs.length)]
    const r = await client.page.evaluate(async () => {
      try {
        const known = window.shallot.knownRelays()
        const path = known.sort(() => Math.random() - 0.5).slice(0, 3)
        if (path.length < 3) return 'fewer than 3 relays known'
        const b = await window.shallot.build(path)
        window.shallot.destroy(b.handle)
        return null
      } catch (err) { return String(err) }
    }).catch((err) => String(err))
    builds++
    if (r != null) {
      buildFailures++
      buildErrors[r] = (buildErrors[r] ?? 0) + 1
    }
    await new Promise(resolve => setTimeout(resolve, BUILD_EVERY_MS))
  }
  for (const tab of [...tabs]) await close(tab)
  const after = records.filter(r => r.atMs >= SIGNAL_WARMUP_MS)
  const share = (list) => list.length === 0 ? null : list.filter(r => r.route === 'bootstrap').length / list.length
  return {
    dialsAfterFirstMinute: after.length,
    viaBootstrapShare: share(after),
    // A tab that just joined has no neighbour: its first connection must be signalled through a bootstrap relay.
    viaBootstrapShareExcludingFirst: share(after.filter(r => !r.first)),
    circuitDials: after.filter(r => r.purpose === 'circuit').length,
    circuitViaBootstrapShare: share(after.filter(r => r.purpose === 'circuit')),
    builds,
    buildFailures,
    buildErrors,
    // Why a dial after the first minute went through a bootstrap relay.
    bootstrapReasons: reasons(after.filter(r => r.route === 'bootstrap'))
  }
}

function reasons (list) {
  const out = {}
  for (const r of list) {
    const why = r.first ? 'first connection of a joining tab' : !r.hadNeighbourRoute ? 'no neighbour knew the peer' : `neighbour route failed: ${r.neighbourFailures.join(', ')}`
    out[why] = (out[why] ?? 0) + 1
  }
  return out
}

export function netRows (result, f) {
  const rows = []
  const lab = result.lab
  if (lab?.skipped != null) rows.push(['network lab (NAT kinds, TURN)', 'skipped', '', lab.skipped])
  else if (lab != null) {
    for (const [kind, s] of Object.entries(lab.firstDirectPeerMs)) {
      rows.push([`page load → first direct peer, ${kind} NAT`, `median ${f(s.p50, 0)} ms`, `p95 ${f(s.p95, 0)} ms`, `n=${s.n}${lab.joinFailures[kind] ? `, ${lab.joinFailures[kind]} never` : ''}`])
    }
    rows.push(['connections via TURN (lab mix)', `${lab.viaTurn} of ${lab.connections}`, `${f(100 * lab.viaTurn / Math.max(1, lab.connections), 0)} %`, lab.mix])
    rows.push(['TURN traffic of an idle relayed tab', `${f(lab.turnBytesPerTabHour / 1e6, 1)} MB/hour`, '', 'both directions, all its connections, from getStats'])
  }
  const s = result.signalling
  if (s != null) {
    rows.push(['signalled via a bootstrap relay, after 1 min', `${f(100 * (s.viaBootstrapShare ?? 0), 0)} % of ${s.dialsAfterFirstMinute}`, `${f(100 * (s.viaBootstrapShareExcludingFirst ?? 0), 0)} % w/o joins`, `circuit dials ${f(100 * (s.circuitViaBootstrapShare ?? 0), 0)} % of ${s.circuitDials}; loopback, ${SIGNAL_TABS} tabs, ${SIGNAL_PEERS} neighbours each`])
  }
  return rows
}
