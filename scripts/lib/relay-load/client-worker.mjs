// One load-test process: holds many stock js-libp2p clients of the bootstrap
// relay, each set up as a tab's node is for signalling (WebSockets + Noise +
// Yamux + identify + circuit-relay transport listening on /p2p-circuit), and
// runs relayed signalling exchanges on request. Forked by ./index.mjs, driven
// over IPC:
//
//   → { type: 'start', relay, count, perSecond, sourceAddresses, offset }
//   ← { type: 'client', index, peerId, held, ms, attempts, dialErrors, reason }   once per client
//   → { type: 'exchange', id, index, target }   client `index` signals peer `target`
//   ← { type: 'exchange', id, ms } | { type: 'exchange', id, error }
//   → { type: 'count' }  ← { type: 'count', held, connected, losses }   reservations held, clients connected to the relay, connections lost and why
//   → { type: 'stop' }   ← { type: 'stopped' }, then exits
//
// It exits by itself when the parent goes away (IPC disconnect).
import { createLibp2p } from 'libp2p'
import { webSockets } from '@libp2p/websockets'
import { noise } from '@libp2p/noise'
import { yamux } from '@libp2p/yamux'
import { identify } from '@libp2p/identify'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'

/** The test protocol a relayed signalling exchange runs on. */
const SIGNAL_PROTOCOL = '/shallot/bench/signal/1.0.0'
/** Message sizes of one exchange: SDP offer + 3 ICE candidates, then SDP answer + 3 candidates. */
const OFFER = [1500, 200, 200, 200].map(n => new Uint8Array(n).fill(1))
const ANSWER = [1200, 200, 200, 200].map(n => new Uint8Array(n).fill(2))
/** A tab gives its reservation this long (src/net/node.ts). */
const RESERVATION_COMPLETION_TIMEOUT_MS = 15_000
/** A client that holds no reservation this long after it connected counts as refused. */
const RESERVATION_WAIT_MS = 20_000
/**
 * Dial attempts to the relay per client, and the pause before a retry: 1 s
 * doubling up to 8 s, as a tab's (src/net/constants.ts). A tab never stops
 * retrying; 10 attempts span about a minute.
 */
const DIAL_ATTEMPTS = 10
const BACKOFF_BASE_MS = 1_000
const BACKOFF_MAX_MS = 8_000
const DIAL_TIMEOUT_MS = 10_000
/** One signalling exchange, dial to last answer, gives up after this long. */
const EXCHANGE_TIMEOUT_MS = 30_000
/** Clients being set up at once in this process, whatever the ramp rate. */
const MAX_PENDING = 200

// Node's WebSocket (undici) connects from the address of the dispatcher it is
// given. Spreading clients over loopback source addresses (127.0.0.2, …) makes
// them look like tabs on different hosts: the relay's connection manager
// admits at most 5 new connections per second per remote IP. Node 20 does not
// export undici's Agent; its global dispatcher (set when WebSocket is first
// touched) is one.
const NativeWebSocket = globalThis.WebSocket
const Agent = globalThis[Symbol.for('undici.globalDispatcher.1')].constructor
let dispatchers = []
let nextDispatcher = 0
globalThis.WebSocket = class extends NativeWebSocket {
  constructor (url, protocols) {
    const dispatcher = dispatchers[nextDispatcher++ % dispatchers.length]
    super(url, dispatcher == null ? protocols : { protocols, dispatcher })
  }
}

const clients = []
let relay = null
let relayPeer = null
/** Why clients lost their relay connection after holding a reservation: reason → count. */
const losses = {}
const tally = (counts, key) => { counts[key] = (counts[key] ?? 0) + 1 }
const send = (msg) => { if (process.connected) process.send(msg) }
const sleep = (ms) => new Promise(resolve => setTimeout(resolve, ms))
const holdsReservation = (node) => node.getMultiaddrs().some(ma => ma.toString().includes('/p2p-circuit'))

/**
 * A silent libp2p logger that reports why a reservation attempt failed to
 * `onFailure`, and counts connections its connection monitor aborted.
 */
function failureLogger (onFailure) {
  const quiet = () => {}
  const errors = {
    'libp2p:circuit-relay:transport:reservation-store': (_fmt, ...args) => {
      const err = args.find(a => a instanceof Error)
      if (err != null) onFailure(`${err.name}: ${err.message}`)
    },
    'libp2p:connection-monitor': (fmt) => { if (String(fmt).startsWith('aborting')) tally(losses, 'aborted by the client (ping failed)') }
  }
  const make = (component) => Object.assign(() => {}, {
    enabled: false,
    trace: quiet,
    error: errors[component] ?? quiet,
    newScope: (name) => make(`${component}:${name}`)
  })
  return { forComponent: make }
}

/** Resolves with null once `node` holds a reservation, with the reason once one failed, or after RESERVATION_WAIT_MS. */
function reservationOutcome (node, failed) {
  return new Promise(resolve => {
    const done = (reason) => {
      clearTimeout(timer)
      node.removeEventListener('transport:listening', check)
      resolve(reason)
    }
    const check = () => { if (holdsReservation(node)) done(null) }
    const timer = setTimeout(() => done(`no reservation within ${RESERVATION_WAIT_MS} ms`), RESERVATION_WAIT_MS)
    failed.then(done)
    node.addEventListener('transport:listening', check)
    check()
  })
}

async function answer (stream) {
  const lp = lpStream(stream)
  try {
    for (let i = 0; i < OFFER.length; i++) await lp.read()
    for (const m of ANSWER) await lp.write(m)
    await stream.close()
  } catch (err) {
    stream.abort(err)
  }
}

async function startClient (index) {
  let onFailure
  const failed = new Promise(resolve => { onFailure = resolve })
  const node = await createLibp2p({
    addresses: { listen: ['/p2p-circuit'] },
    transports: [webSockets(), circuitRelayTransport({ reservationCompletionTimeout: RESERVATION_COMPLETION_TIMEOUT_MS })],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: { denyDialMultiaddr: async () => false },
    services: { identify: identify() },
    logger: failureLogger(onFailure)
  })
  clients[index] = node
  await node.handle(SIGNAL_PROTOCOL, answer, { runOnLimitedConnection: true })
  const started = performance.now()
  const dialErrors = {}
  let attempts = 0
  let connected = false
  while (!connected && attempts < DIAL_ATTEMPTS) {
    attempts++
    try {
      await node.dial(multiaddr(relay), { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) })
      connected = true
    } catch (err) {
      dialErrors[err.name] = (dialErrors[err.name] ?? 0) + 1
      if (attempts < DIAL_ATTEMPTS) await sleep(Math.min(BACKOFF_BASE_MS * 2 ** (attempts - 1), BACKOFF_MAX_MS))
    }
  }
  const reason = connected ? await reservationOutcome(node, failed) : 'no connection to the relay'
  if (reason == null) {
    node.addEventListener('connection:close', (evt) => {
      if (evt.detail.remotePeer.toString() === relayPeer && !evt.detail.remoteAddr.toString().includes('/p2p-circuit')) tally(losses, 'relay connection closed (any cause)')
    })
  }
  send({ type: 'client', index, peerId: node.peerId.toString(), held: reason == null, ms: performance.now() - started, attempts, dialErrors, reason })
}

async function start ({ count, perSecond, sourceAddresses, offset, ...msg }) {
  relay = msg.relay
  relayPeer = multiaddr(relay).getComponents().findLast(c => c.name === 'p2p').value
  dispatchers = sourceAddresses.map(localAddress => new Agent({ localAddress }))
  nextDispatcher = offset
  const t0 = performance.now()
  const pending = new Set()
  for (let i = 0; i < count; i++) {
    const due = t0 + (i * 1000) / perSecond
    const wait = due - performance.now()
    if (wait > 0) await sleep(wait)
    while (pending.size >= MAX_PENDING) await Promise.race(pending)
    const p = startClient(i).catch(err => {
      send({ type: 'client', index: i, peerId: null, held: false, ms: 0, attempts: 0, dialErrors: {}, reason: `${err.name}: ${err.message}` })
    }).finally(() => pending.delete(p))
    pending.add(p)
  }
  await Promise.all(pending)
}

async function exchange ({ id, index, target }) {
  const node = clients[index]
  const signal = AbortSignal.timeout(EXCHANGE_TIMEOUT_MS)
  const t0 = performance.now()
  let conn
  try {
    conn = await node.dial(multiaddr(`${relay}/p2p-circuit/p2p/${target}`), { signal })
    const stream = await conn.newStream(SIGNAL_PROTOCOL, { runOnLimitedConnection: true, signal })
    const lp = lpStream(stream)
    for (const m of OFFER) await lp.write(m, { signal })
    for (let i = 0; i < ANSWER.length; i++) await lp.read({ signal })
    const ms = performance.now() - t0
    send({ type: 'exchange', id, ms })
  } catch (err) {
    send({ type: 'exchange', id, error: err.name === 'Error' ? err.message : err.name })
  } finally {
    await conn?.close().catch(() => {})
  }
}

async function stop () {
  await Promise.all(clients.map(node => node?.stop().catch(() => {})))
  send({ type: 'stopped' })
  process.exit(0)
}

process.on('disconnect', () => process.exit(0))
process.on('message', (msg) => {
  if (msg.type === 'start') void start(msg)
  else if (msg.type === 'exchange') void exchange(msg)
  else if (msg.type === 'count') {
    const live = clients.filter(n => n != null)
    send({ type: 'count', held: live.filter(holdsReservation).length, connected: live.filter(n => n.getConnections().some(c => c.remotePeer.toString() === relayPeer)).length, losses })
  }
  else if (msg.type === 'stop') void stop()
})
