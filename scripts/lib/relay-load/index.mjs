/**
 * Relay capacity, measured: how many tabs one bootstrap relay process serves
 * on this machine, and what each costs it.
 *
 * For each N, a fresh relay (scripts/lib/relay-process.mjs, its own process)
 * and N stock js-libp2p clients spread over forked processes
 * (./client-worker.mjs). Each client connects over ws to 127.0.0.1 and
 * reserves a slot, as a tab does; the ramp is paced (RAMP_PER_SECOND) so it
 * measures capacity, not a thundering herd. Clients connect from several
 * loopback source addresses (127.0.0.2, …), as tabs come from many hosts: the
 * relay admits only 5 new connections per second per remote IP (libp2p's
 * inboundConnectionThreshold); `sourceAddresses: 1` shows what that does.
 * While all N reservations are held it measures:
 *
 * - reservations held, and why the others failed (client-side errors and
 *   relay status codes);
 * - the relay's memory: VmRSS (and V8 heap) after a full GC (the relay runs
 *   with --expose-gc and ./relay-probe.mjs preloaded; its code is untouched),
 *   at 0 clients and at N; per reservation = (RSS_N − RSS_0) / held;
 * - signalling latency: client A dials B through the relay (a limited relayed
 *   connection, what a tab uses for WebRTC signalling), sends an SDP offer and
 *   3 ICE candidates, B answers likewise; from the start of the dial to A
 *   having read B's last message. p50/p99 over `exchanges` random pairs,
 *   PARALLEL_EXCHANGES at a time;
 * - the relay's CPU time (utime + stime, /proc/<pid>/stat) per reservation
 *   set up, per exchange, and while idle with N held (keep-alives, pings),
 *   and its event-loop delay idle and during the exchanges;
 * - then all clients leave and REJOIN_CLIENTS new ones arrive: a reservation
 *   outlives its client on the relay (until its TTL), so this shows whether
 *   departed tabs still take slots.
 *
 * Besides the sizes with limits raised well above N (RAISED_LIMITS), one run
 * with the relay's default limits (at the largest N, at most DEFAULTS_RUN_MAX):
 * what an operator gets.
 *
 * The clients share the machine's cores with the relay; they run niced
 * (WORKER_NICE) so the relay gets the CPU first, as if they had their own.
 * Everything stays on loopback and stops by itself (DEADLINE_MS); every child
 * process is killed on exit, error and SIGINT/SIGTERM.
 *
 * (~500 lines: the measuring loop and its reporting are one procedure, read top
 * to bottom; the client side is ./client-worker.mjs, the probe ./relay-probe.mjs.)
 */
import { execFileSync, fork } from 'node:child_process'
import { readFileSync } from 'node:fs'
import os from 'node:os'
import { fileURLToPath } from 'node:url'
import { startRelay } from '../relay-process.mjs'
import { percentile } from '../stats.mjs'
import { tsImport } from 'tsx/esm/api'

export const RAISED_LIMITS = { maxReservations: 10_000, maxConnections: 12_000 }
/** The relay's own defaults, for the label (src/bootstrap/relay.ts, TypeScript, loaded through tsx). */
const { RELAY_MAX_RESERVATIONS, RELAY_MAX_CONNECTIONS } = await tsImport('../../../src/bootstrap/relay.ts', import.meta.url)
const DEFAULT_LIMITS = { maxReservations: RELAY_MAX_RESERVATIONS, maxConnections: RELAY_MAX_CONNECTIONS }
const SIZES = [100, 1_000, 5_000]
const EXCHANGES = 200
const PARALLEL_EXCHANGES = 4
/**
 * New clients per second, all processes together. A reservation costs the
 * relay ~25 ms of CPU (a core sets up ~40/s), and only so many connections
 * may be in their handshake at once (libp2p's maxIncomingPendingConnections:
 * 10 by default, 64 on our relay): at 50–100/s on this 2-core machine, where
 * the clients' own set-up competes for the same cores, most first attempts
 * were refused and the ramp measured retries.
 */
const RAMP_PER_SECOND = 25
const CLIENTS_PER_WORKER = 500
/** Clients that run the exchanges, half in each of two processes of their own (not niced, nearly idle). */
const PROBE_CLIENTS = 20
/** Loopback source addresses the clients are spread over (1 = all from 127.0.0.1). */
const SOURCE_ADDRESSES = 64
const REJOIN_CLIENTS = 100
/** The run with the relay's default limits stops here: past both caps (1024 reservations, 2048 connections), more clients only add refusals. */
const DEFAULTS_RUN_MAX = 2_500
/** The whole run, all sizes: past this everything is killed and the run fails. */
const DEADLINE_MS = 15 * 60_000
/** Beyond the paced ramp, how long the last clients may take (dial retries, reservation wait). */
const RAMP_GRACE_MS = 90_000
const EXCHANGE_REPLY_MS = 35_000
/** Quiet before a memory reading, readings per figure (median), and the gap between them. */
const SETTLE_MS = 3_000
const MEMORY_READINGS = 3
const MEMORY_GAP_MS = 1_000
/** Idle CPU is taken over one whole connection-monitor period (libp2p pings every connection every 10 s). */
const IDLE_WINDOW_MS = 10_000
const TIMELINE_MS = 5_000
const WORKER_STOP_MS = 20_000
const PROBE_REPLY_MS = 10_000
/** Client processes run at this niceness, so the relay gets the CPU first: clients would have their own. */
const WORKER_NICE = 10
/** File descriptors the relay needs beyond one per client. */
const FD_SLACK = 1_000

/**
 * libp2p debug logs of the relay that say when it turns a connection away or
 * closes one (the relay logs nothing of the kind itself), counted by kind.
 */
const RELAY_DEBUG = 'libp2p:connection-manager,libp2p:connection-manager:connection-pruner,libp2p:connection-monitor:error'
const RELAY_EVENTS = [
  [/refused - incomingPendingConnections exceeded/, 'connection refused: maxIncomingPendingConnections (too many upgrading at once)'],
  [/refused - inboundConnectionThreshold exceeded/, 'connection refused: inboundConnectionThreshold (5/s per IP)'],
  [/refused - maxConnections exceeded/, 'connection refused: maxConnections'],
  [/too many connections open - closing/, 'connection pruned: maxConnections'],
  [/aborting connection due to ping failure/, 'connection aborted by the relay: ping failed']
]
const WORKER = fileURLToPath(new URL('./client-worker.mjs', import.meta.url))
const PROBE = fileURLToPath(new URL('./relay-probe.mjs', import.meta.url))
const POLYFILLS = fileURLToPath(new URL('../../../src/bootstrap/polyfills.mjs', import.meta.url))
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString())

const sleep = (ms) => new Promise(resolve => setTimeout(resolve, ms))
/** Resolves after `ms` unless `promise` settles first; never keeps the process alive. */
const within = (promise, ms) => new Promise((resolve, reject) => {
  const timer = setTimeout(resolve, ms)
  timer.unref()
  promise.then(resolve, reject).finally(() => clearTimeout(timer))
})
const median = (xs) => percentile(xs, 0.5)
const tally = (counts, key, n = 1) => { counts[key] = (counts[key] ?? 0) + n }
const vmRssBytes = (pid) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024
const cpuMs = (pid) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 1000 / CLK_TCK
}
const sourceAddressList = (k) => k <= 1 ? ['127.0.0.1'] : Array.from({ length: k }, (_, i) => `127.0.${(i + 2) >> 8}.${(i + 2) & 255}`)

/** Node raises its soft RLIMIT_NOFILE to the hard one; the relay needs one descriptor per client (plus slack). */
function checkFileLimit (n, log) {
  const limit = Number(/Max open files\s+\d+\s+(\d+)/.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1])
  if (limit < n + FD_SLACK) log(`RLIMIT_NOFILE is ${limit}: the relay may run out of file descriptors before ${n} clients (EMFILE)`)
}

/** Every child process of the run, killed whatever happens. */
const children = new Set()
const track = (child) => {
  children.add(child)
  child.once('exit', () => children.delete(child))
  return child
}
const killAll = () => { for (const child of children) child.kill('SIGKILL') }

async function startLoadRelay (limits) {
  let probeWaiter = null
  let pending = ''
  let loop = null
  const events = {}
  const onLog = (text) => {
    pending += text
    const lines = pending.split('\n')
    pending = lines.pop()
    for (const line of lines) {
      const m = /RELAY_LOAD_PROBE (.*)/.exec(line)
      if (m != null) probeWaiter?.(JSON.parse(m[1]))
      const l = /RELAY_LOAD_LOOP (.*)/.exec(line)
      if (l != null) loop = JSON.parse(l[1])
      const event = RELAY_EVENTS.find(([re]) => re.test(line))
      if (event != null) tally(events, event[1])
    }
  }
  const relay = await startRelay({
    port: 0,
    httpPort: 'off',
    logLevel: 'warn',
    onLog,
    ...limits,
    // sh execs node with --expose-gc and the probe, so the relay keeps this pid.
    spawnPrefix: ['env', `DEBUG=${RELAY_DEBUG}`, 'sh', '-c', `exec "$0" --expose-gc --import '${PROBE}' "$@"`]
  })
  track(relay.child)
  const pid = relay.child.pid
  /** The relay's event-loop delay since the last probe, and its memory after a full GC (./relay-probe.mjs). */
  const probe = async () => {
    const reply = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the relay did not answer a probe')), PROBE_REPLY_MS)
      probeWaiter = (r) => { clearTimeout(timer); resolve(r) }
      relay.child.kill('SIGUSR2')
    })
    return { ...reply, rss: vmRssBytes(pid) }
  }
  /** Median over MEMORY_READINGS of VmRSS and V8 heap used. */
  const memory = async () => {
    const readings = []
    for (let i = 0; i < MEMORY_READINGS; i++) {
      if (i > 0) await sleep(MEMORY_GAP_MS)
      readings.push(await probe())
    }
    return { rss: median(readings.map(r => r.rss)), heap: median(readings.map(r => r.memory.heapUsed)) }
  }
  return { relay, addr: relay.multiaddrs[0], cpuMs: () => cpuMs(pid), probe, memory, events, loopDelay: () => loop }
}

/** A client process: its clients' reports as they come, and request/reply over IPC. */
function forkWorker (nice) {
  const child = track(fork(WORKER, [], { execArgv: ['--experimental-websocket', '--import', POLYFILLS], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }))
  os.setPriority(child.pid, nice)
  const listeners = new Set()
  child.on('message', (msg) => { for (const fn of listeners) fn(msg) })
  const next = (type, match = () => true, ms = EXCHANGE_REPLY_MS) => new Promise((resolve, reject) => {
    const timer = setTimeout(() => { listeners.delete(fn); reject(new Error(`no ${type} reply`)) }, ms)
    const fn = (msg) => { if (msg.type === type && match(msg)) { clearTimeout(timer); listeners.delete(fn); resolve(msg) } }
    listeners.add(fn)
  })
  return {
    child,
    onClient: (fn) => listeners.add((msg) => { if (msg.type === 'client') fn(msg) }),
    send: (msg) => child.send(msg),
    next,
    async stop () {
      if (child.exitCode != null || child.signalCode != null) return
      const exited = new Promise(resolve => child.once('exit', resolve))
      child.send({ type: 'stop' })
      const timer = setTimeout(() => child.kill('SIGKILL'), WORKER_STOP_MS)
      await exited
      clearTimeout(timer)
    }
  }
}

/**
 * Start `n` clients at `perSecond`, all processes together: with `probes`,
 * PROBE_CLIENTS of them in two lightly loaded processes (the two ends of
 * the exchanges), the rest CLIENTS_PER_WORKER to a niced process. `done`
 * resolves when every client has settled (or the ramp's time is up).
 */
function startClients ({ n, addr, perSecond, sourceAddresses, probes }) {
  const bulk = probes ? n - PROBE_CLIENTS : n
  const k = Math.ceil(bulk / CLIENTS_PER_WORKER)
  const shares = [
    ...(probes ? [Math.ceil(PROBE_CLIENTS / 2), Math.floor(PROBE_CLIENTS / 2)] : []),
    ...Array.from({ length: k }, (_, i) => Math.floor(bulk / k) + (i < bulk % k ? 1 : 0))
  ]
  const workers = shares.map((_, i) => forkWorker(probes && i < 2 ? 0 : WORKER_NICE))
  const clients = []
  const t0 = performance.now()
  let settle
  const settled = new Promise(resolve => { settle = resolve })
  workers.forEach((w, i) => {
    w.onClient((msg) => {
      clients.push({ ...msg, worker: w })
      if (clients.length === n) settle()
    })
    w.send({ type: 'start', relay: addr, count: shares[i], perSecond: perSecond * shares[i] / n, sourceAddresses, offset: i })
  })
  const done = within(settled, (n / perSecond) * 1000 + RAMP_GRACE_MS)
    .then(() => ({ rampMs: performance.now() - t0, unsettled: n - clients.length }))
  return { workers, clients, done, probeSides: probes ? [workers[0], workers[1]] : [] }
}

/** Every TIMELINE_MS until stopped: reservations held, the relay's CPU share and its loop delay. */
function timeline (r, workers) {
  const entries = []
  const t0 = performance.now()
  let running = true
  let wake = () => {}
  const sampling = (async () => {
    let cpu = r.cpuMs()
    let t = t0
    while (running) {
      await new Promise(resolve => { wake = resolve; setTimeout(resolve, TIMELINE_MS) })
      if (!running) break
      const { held } = await holding(workers).catch(() => ({ held: null }))
      const now = performance.now()
      const c = r.cpuMs()
      entries.push({ s: Math.round((now - t0) / 1000), held, relayCpuPct: Math.round((c - cpu) / (now - t) * 100), relayLoopDelayMs: r.loopDelay() })
      cpu = c
      t = now
    }
  })()
  return async () => {
    running = false
    wake()
    await sampling
    return entries
  }
}

/** `total` relayed signalling exchanges, each between a random held probe client of one side and one of the other. */
async function signal (sides, clients, total) {
  const held = sides.map(w => clients.filter(c => c.held && c.worker === w))
  if (held.some(side => side.length === 0)) return { ms: [], errors: { 'no probe client holds a reservation on one side': total } }
  const pick = (list) => list[Math.floor(Math.random() * list.length)]
  const ms = []
  const errors = {}
  let started = 0
  const lane = async () => {
    while (started < total) {
      const id = started++
      const [from, to] = Math.random() < 0.5 ? held : [held[1], held[0]]
      const a = pick(from)
      const reply = a.worker.next('exchange', (msg) => msg.id === id).catch(err => ({ error: err.message }))
      a.worker.send({ type: 'exchange', id, index: a.index, target: pick(to).peerId })
      const r = await reply
      if (r.error != null) tally(errors, r.error)
      else ms.push(r.ms)
    }
  }
  await Promise.all(Array.from({ length: PARALLEL_EXCHANGES }, lane))
  return { ms, errors }
}

/** Reservations the clients hold now, and why the others lost their relay connection. */
async function holding (workers) {
  const replies = await Promise.all(workers.map(async (w) => {
    const reply = w.next('count')
    w.send({ type: 'count' })
    return await reply
  }))
  const losses = {}
  for (const r of replies) for (const [why, k] of Object.entries(r.losses)) tally(losses, why, k)
  const sum = (key) => replies.reduce((total, r) => total + r[key], 0)
  return { held: sum('held'), connected: sum('connected'), losses }
}

async function runOne ({ n, limits, label, exchanges, perSecond, sourceAddresses, log }) {
  log(`${label} N=${n}: starting a relay`)
  const r = await startLoadRelay(limits)
  let workers = []
  try {
    await sleep(SETTLE_MS)
    const mem0 = await r.memory()
    const cpu0 = r.cpuMs()
    log(`${label} N=${n}: ramping up ${n} clients at ${perSecond}/s from ${sourceAddresses.length} source address(es)`)
    const up = startClients({ n, addr: r.addr, perSecond, sourceAddresses, probes: true })
    workers = up.workers
    const stopTimeline = timeline(r, workers)
    const { rampMs, unsettled } = await up.done
    const cpuRamp = r.cpuMs() - cpu0
    const held = up.clients.filter(c => c.held)
    const reasons = {}
    const dialErrors = {}
    for (const c of up.clients) {
      if (!c.held) tally(reasons, c.reason)
      for (const [name, k] of Object.entries(c.dialErrors)) tally(dialErrors, name, k)
    }
    if (unsettled > 0) tally(reasons, 'not settled before the ramp deadline', unsettled)
    log(`${label} N=${n}: ${held.length} reservations made in ${(rampMs / 1000).toFixed(1)} s`)

    await sleep(SETTLE_MS)
    const memN = await r.memory()
    const { held: atMemory, connected: connectedAtMemory } = await holding(workers)
    const clientsCpuMs = () => workers.reduce((sum, w) => sum + (w.child.exitCode == null ? cpuMs(w.child.pid) : 0), 0)
    const idle0 = r.cpuMs()
    const clientsIdle0 = clientsCpuMs()
    await sleep(IDLE_WINDOW_MS)
    const idleCpuMsPerS = (r.cpuMs() - idle0) / (IDLE_WINDOW_MS / 1000)
    const clientsIdleCpuMsPerS = (clientsCpuMs() - clientsIdle0) / (IDLE_WINDOW_MS / 1000)
    const idleLoop = (await r.probe()).loopDelayMs
    const clientsRss = workers.reduce((sum, w) => sum + (w.child.exitCode == null ? vmRssBytes(w.child.pid) : 0), 0)

    log(`${label} N=${n}: ${exchanges} signalling exchanges`)
    const cpuX0 = r.cpuMs()
    const sig = await signal(up.probeSides, up.clients, exchanges)
    const cpuExchanges = r.cpuMs() - cpuX0
    const exchangeLoop = (await r.probe()).loopDelayMs
    const after = await holding(workers)
    const overTime = await stopTimeline()
    const relayEvents = { ...r.events }

    log(`${label} N=${n}: all clients leave, ${REJOIN_CLIENTS} new ones join`)
    await Promise.all(workers.map(w => w.stop()))
    await sleep(SETTLE_MS)
    const memLeft = await r.memory()
    const rejoin = startClients({ n: REJOIN_CLIENTS, addr: r.addr, perSecond, sourceAddresses, probes: false })
    workers = rejoin.workers
    await rejoin.done
    const rejoinReasons = {}
    for (const c of rejoin.clients) if (!c.held) tally(rejoinReasons, c.reason)

    return {
      label,
      n,
      limits,
      sourceAddresses: sourceAddresses.length,
      rampPerSecond: perSecond,
      held: held.length,
      refused: n - held.length,
      refusedReasons: reasons,
      dialErrors,
      rampS: rampMs / 1000,
      peakHeld: Math.max(atMemory, after.held, ...overTime.map(e => e.held ?? 0)),
      heldAtMemoryReading: atMemory,
      connectedAtMemoryReading: connectedAtMemory,
      reservationSetupMs: { p50: percentile(held.map(c => c.ms), 0.5), p99: percentile(held.map(c => c.ms), 0.99) },
      heldAfterExchanges: after.held,
      relayConnectionsLost: after.losses,
      relayEvents,
      relayRssBytes: { idle: mem0.rss, atN: memN.rss, afterLeave: memLeft.rss },
      relayHeapBytes: { idle: mem0.heap, atN: memN.heap, afterLeave: memLeft.heap },
      rssPerReservationBytes: atMemory > 0 ? (memN.rss - mem0.rss) / atMemory : null,
      heapPerReservationBytes: atMemory > 0 ? (memN.heap - mem0.heap) / atMemory : null,
      clientProcessesRssBytes: clientsRss,
      clientProcessesIdleCpuMsPerSecondAtN: clientsIdleCpuMsPerS,
      signalling: { n: sig.ms.length, p50Ms: percentile(sig.ms, 0.5), p99Ms: percentile(sig.ms, 0.99), maxMs: percentile(sig.ms, 1), errors: sig.errors },
      relayCpuMs: {
        perReservation: held.length > 0 ? cpuRamp / held.length : null,
        perExchange: sig.ms.length > 0 ? cpuExchanges / sig.ms.length : null,
        idlePerSecondAtN: idleCpuMsPerS
      },
      relayLoopDelayMs: { idleAtN: idleLoop, duringExchanges: exchangeLoop },
      timeline: overTime,
      rejoin: { clients: REJOIN_CLIENTS, held: rejoin.clients.filter(c => c.held).length, reasons: rejoinReasons }
    }
  } finally {
    await Promise.all(workers.map(w => w.stop()))
    await r.relay.stop()
  }
}

/**
 * Run the sweep. Options: sizes ([100, 1000, 5000]), exchanges (200),
 * defaults (true: one more run with the relay's default limits, at the
 * largest size but at most DEFAULTS_RUN_MAX), perSecond (RAMP_PER_SECOND), sourceAddresses (SOURCE_ADDRESSES),
 * log (progress lines). Returns the results object (see runOne).
 */
export async function runRelayLoad ({ sizes = SIZES, exchanges = EXCHANGES, defaults = true, perSecond = RAMP_PER_SECOND, sourceAddresses = SOURCE_ADDRESSES, log = () => {} } = {}) {
  checkFileLimit(Math.max(...sizes) + REJOIN_CLIENTS, log)
  const started = Date.now()
  const onSignal = (sig) => { killAll(); process.exit(sig === 'SIGINT' ? 130 : 143) }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  process.on('exit', killAll)
  let timer
  const expired = new Promise((_resolve, reject) => {
    timer = setTimeout(() => { killAll(); reject(new Error(`relay load test passed its ${DEADLINE_MS / 60_000} min deadline`)) }, DEADLINE_MS)
  })
  const plan = [
    ...sizes.map(n => ({ n, limits: RAISED_LIMITS, label: 'raised' })),
    ...(defaults ? [{ n: Math.min(Math.max(...sizes), DEFAULTS_RUN_MAX), limits: {}, label: 'defaults' }] : [])
  ]
  const addresses = sourceAddressList(sourceAddresses)
  try {
    const runs = []
    for (const step of plan) {
      runs.push(await Promise.race([expired, runOne({ ...step, exchanges, perSecond, sourceAddresses: addresses, log })]))
    }
    return {
      date: new Date().toISOString(),
      machine: { cpus: os.cpus().length, memoryBytes: os.totalmem(), node: process.version },
      defaultLimits: DEFAULT_LIMITS,
      durationS: (Date.now() - started) / 1000,
      runs
    }
  } finally {
    clearTimeout(timer)
    killAll()
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    process.off('exit', killAll)
  }
}

const mib = (b) => (b / 2 ** 20).toFixed(1)
const kib = (b) => b == null ? '-' : (b / 1024).toFixed(1)
const ms = (x) => x == null ? '-' : x.toFixed(x < 10 ? 1 : 0)

/** Where the reservations held peaked, and the relay's busiest moment (from the timeline). */
function timelineNote (where, entries) {
  const sampled = entries.filter(e => e.held != null)
  if (sampled.length === 0) return []
  const peak = sampled.reduce((a, b) => b.held > a.held ? b : a)
  const busiest = sampled.reduce((a, b) => b.relayCpuPct > a.relayCpuPct ? b : a)
  const at = (e) => `${e.held} held at ${e.s} s (relay CPU ${e.relayCpuPct}%, loop delay p99 ${ms(e.relayLoopDelayMs?.p99)} ms, max ${ms(e.relayLoopDelayMs?.max)} ms)`
  return [`  ${where} timeline: peak ${at(peak)}; busiest ${at(busiest)}`]
}

/** The results as table lines, then the reasons for refusals and errors. */
export function relayLoadTable (results) {
  const head = ['limits', 'N', 'reserved', 'refused', 'peak held', 'held at end', 'ramp s', 'relay RSS 0→N MiB', 'KiB/res (RSS)', 'KiB/res (heap)', 'signal p50 ms', 'p99 ms', 'relay CPU ms/res', 'ms/exchange', 'idle ms/s', 'rejoin held']
  const rows = results.runs.map(r => [
    `${r.label} (${r.label === 'defaults' ? `${DEFAULT_LIMITS.maxReservations}/${DEFAULT_LIMITS.maxConnections}` : `${r.limits.maxReservations}/${r.limits.maxConnections}`})`,
    r.n, r.held, r.refused, r.peakHeld, r.heldAfterExchanges, r.rampS.toFixed(0),
    `${mib(r.relayRssBytes.idle)}→${mib(r.relayRssBytes.atN)}`,
    kib(r.rssPerReservationBytes), kib(r.heapPerReservationBytes),
    ms(r.signalling.p50Ms), ms(r.signalling.p99Ms),
    ms(r.relayCpuMs.perReservation), ms(r.relayCpuMs.perExchange), ms(r.relayCpuMs.idlePerSecondAtN),
    `${r.rejoin.held}/${r.rejoin.clients}`
  ].map(String))
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map(row => row[i].length)))
  const line = (cells) => cells.map((c, i) => c.padStart(widths[i])).join('  ')
  const notes = results.runs.flatMap(r => {
    const where = `${r.label} N=${r.n}`
    const list = (title, counts) => Object.entries(counts).map(([k, v]) => `  ${where} ${title}: ${v} × ${k}`)
    return [
      ...list('refused', r.refusedReasons),
      ...list('failed dial attempts (retried)', r.dialErrors),
      ...list('exchange errors', r.signalling.errors),
      ...list('rejoin refused', r.rejoin.reasons),
      ...list('relay connections lost', r.relayConnectionsLost),
      ...list('relay', r.relayEvents),
      ...timelineNote(where, r.timeline)
    ]
  })
  return [line(head), ...rows.map(line), ...(notes.length > 0 ? ['', ...notes] : [])]
}
