/**
 * The bootstrap relay: a small js-libp2p node that helps tabs meet and then
 * steps aside. It accepts WebSocket connections, runs circuit-relay-v2 as a
 * *server* so tabs can reserve a slot and be reached at `/p2p-circuit`, and
 * answers peer exchange from that reservation table (its only soft state).
 * Relayed connections are limited in time and bytes: they carry the WebRTC
 * signalling (SDP offer/answer, ICE candidates) and nothing else; chat and
 * onion cells only ever cross direct WebRTC connections between tabs.
 *
 * A small HTTP endpoint (`GET /` on its own port) returns the relay's
 * multiaddrs as JSON, so the app can be pointed at a relay by URL alone.
 */
import { createServer, type Server } from 'node:http'
import { createLibp2p, type Libp2p } from 'libp2p'
import { webSockets } from '@libp2p/websockets'
import { noise } from '@libp2p/noise'
import { yamux } from '@libp2p/yamux'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { circuitRelayServer, type CircuitRelayService } from '@libp2p/circuit-relay-v2'
import { lpStream } from '@libp2p/utils'
import type { PrivateKey, Stream } from '@libp2p/interface'
import { encodePeerExchange, PEER_EXCHANGE_PROTOCOL, PX_MAX_PEERS } from '../core/discovery/peer-exchange.js'
import { encodeIceServers, ICE_SERVERS_PROTOCOL } from '../core/discovery/ice-servers.js'
import { encodeRelayWorkParams, RELAY_WORK_PROTOCOL } from '../core/discovery/relay-work-params.js'
import { DEFAULT_RELAY_WORK_EFFORT } from '../core/directory/limits.js'
import { SIGNALLING_DATA_LIMIT_BYTES, SIGNALLING_DURATION_LIMIT_MS } from '../core/discovery/signalling.js'
import type { Logger } from './log.js'
import { issueIceServers, validateIceConfig, type IceConfig } from './turn-credentials.js'

/** How many tabs may hold a reservation at once. The library default (15) is far too small for a network of tabs. */
export const RELAY_MAX_RESERVATIONS = 1024

/** A relayed connection lives at most this long: enough for WebRTC signalling, too short to carry a chat. */
export const RELAY_DURATION_LIMIT_MS = SIGNALLING_DURATION_LIMIT_MS

/** A relayed connection carries at most this many bytes each way: SDP and ICE fit many times over. */
export const RELAY_DATA_LIMIT_BYTES = SIGNALLING_DATA_LIMIT_BYTES

/** Most connections the relay accepts; beyond it the connection manager prunes. */
export const RELAY_MAX_CONNECTIONS = 2048

/**
 * A reservation lasts this long unless renewed (tabs renew 5 minutes before
 * it ends) and ends at once when its tab disconnects. libp2p's default is
 * 2 hours and never on disconnect: every page load is a new peer id, so the
 * table filled with tabs long gone and new ones were refused
 * (`npm run bench:net`, relay load, "rejoin").
 */
export const RELAY_RESERVATION_TTL_MS = 30 * 60 * 1000

/**
 * Connections that may be in their handshake at once. libp2p's default, 10,
 * capped joins at a few dozen tabs a second and let ten stalled handshakes
 * hold everyone up; a join costs the relay ~25 ms of CPU, so 64 at once is
 * still well within a core.
 */
export const RELAY_MAX_PENDING_CONNECTIONS = 64

/**
 * New connections per second from one IP address. Behind a TLS proxy on the
 * same host (deploy/: Caddy) every tab arrives from 127.0.0.1, and libp2p's
 * default of 5 would admit five tabs a second in all; so a relay listening on
 * loopback takes this many, and one listening on a public address keeps
 * libp2p's per-IP default.
 */
export const RELAY_PROXIED_CONNECTIONS_PER_SECOND = 1000

/**
 * How often the relay pings each connection to find dead ones. libp2p pings
 * every connection every 10 s, which was most of an idle relay's CPU with a
 * thousand tabs and, on a loaded relay, aborted thousands of slow-to-answer
 * connections at once.
 */
export const RELAY_PING_INTERVAL_MS = 30_000

/** How often the relay logs its counts at info level. */
export const RELAY_STATS_INTERVAL_MS = 30_000

/**
 * One connection gets fresh ICE credentials at most this often. A tab asks once
 * at start and then at half the credentials' lifetime; more is a client
 * harvesting credentials.
 */
export const ICE_MIN_INTERVAL_MS = 5_000

export interface BootstrapRelayOptions {
  host: string
  port: number
  /** Port of the HTTP info endpoint; 0 picks a free one, null disables it. */
  httpPort: number | null
  /** Addresses to announce instead of the listen address (e.g. `/dns4/relay.example/tcp/443/wss`). */
  announce?: string[]
  privateKey: PrivateKey
  log: Logger
  /** How often counts are logged (default {@link RELAY_STATS_INTERVAL_MS}). */
  statsIntervalMs?: number
  /** Reservations held at most (default {@link RELAY_MAX_RESERVATIONS}). */
  maxReservations?: number
  /** Connections accepted at most (default {@link RELAY_MAX_CONNECTIONS}). */
  maxConnections?: number
  /** The STUN/TURN server beside this relay, handed to tabs with fresh credentials. None: tabs get no ICE servers. */
  ice?: IceConfig
  /**
   * Proof-of-work effort tabs' relay descriptors need (core/directory/work.ts),
   * announced on {@link RELAY_WORK_PROTOCOL} (default
   * {@link DEFAULT_RELAY_WORK_EFFORT}). Raise it when directories are
   * flooded; a test network on one machine lowers it.
   */
  relayWorkEffort?: number
}

export interface BootstrapRelay {
  readonly node: Libp2p<{ relay: CircuitRelayService }>
  readonly multiaddrs: string[]
  readonly httpUrl: string | null
  stats(): { reservations: number, connections: number, iceHandouts: number }
  stop(): Promise<void>
}

export async function startBootstrapRelay (opts: BootstrapRelayOptions): Promise<BootstrapRelay> {
  const { log } = opts
  if (opts.ice != null) validateIceConfig(opts.ice)
  const node = await createLibp2p({
    privateKey: opts.privateKey,
    addresses: {
      listen: [`/ip4/${opts.host}/tcp/${opts.port}/ws`],
      announce: opts.announce ?? []
    },
    transports: [webSockets()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionManager: {
      maxConnections: opts.maxConnections ?? RELAY_MAX_CONNECTIONS,
      maxIncomingPendingConnections: RELAY_MAX_PENDING_CONNECTIONS,
      ...(isLoopback(opts.host) ? { inboundConnectionThreshold: RELAY_PROXIED_CONNECTIONS_PER_SECOND } : {})
    },
    connectionMonitor: { pingInterval: RELAY_PING_INTERVAL_MS, pingTimeout: { minTimeout: 10_000, maxTimeout: 30_000 } },
    services: {
      identify: identify(),
      ping: ping(),
      relay: circuitRelayServer({
        reservations: {
          maxReservations: opts.maxReservations ?? RELAY_MAX_RESERVATIONS,
          reservationTtl: RELAY_RESERVATION_TTL_MS,
          defaultDurationLimit: RELAY_DURATION_LIMIT_MS,
          defaultDataLimit: RELAY_DATA_LIMIT_BYTES
        }
      })
    }
  })

  // A tab that left frees its slot at once (libp2p would keep it until the TTL).
  node.addEventListener('connection:close', (evt) => {
    if (node.getConnections(evt.detail.remotePeer).length === 0) node.services.relay.reservations.delete(evt.detail.remotePeer)
  })

  // Peer exchange: a random sample of peers holding a reservation here. The
  // asker learns peer ids it could reach through this relay anyway.
  await node.handle(PEER_EXCHANGE_PROTOCOL, async (stream: Stream, connection) => {
    try {
      const asker = connection.remotePeer.toString()
      // Only tabs still connected: a reservation outlives its tab by up to its TTL.
      const ids = [...node.services.relay.reservations.keys()]
        .filter(p => node.getConnections(p).length > 0)
        .map(p => p.toString()).filter(id => id !== asker)
      shuffle(ids)
      const reply = encodePeerExchange(ids.slice(0, PX_MAX_PEERS).map(id => ({ id })))
      await lpStream(stream).write(reply)
      await stream.close()
    } catch (err) {
      log.debug(`peer exchange failed: ${(err as Error).message}`)
      stream.abort(err as Error)
    }
  })

  // ICE servers: the STUN/TURN server beside this relay, with credentials made
  // for this hand-out only (turn-credentials.ts). Never on a relayed connection.
  let iceHandouts = 0
  const lastIce = new WeakMap<object, number>()
  if (opts.ice != null) {
    const ice = opts.ice
    await node.handle(ICE_SERVERS_PROTOCOL, async (stream: Stream, connection) => {
      try {
        const now = Date.now()
        const last = lastIce.get(connection)
        if (connection.limits != null || (last != null && now - last < ICE_MIN_INTERVAL_MS)) {
          stream.abort(new Error('ice servers refused'))
          return
        }
        lastIce.set(connection, now)
        await lpStream(stream).write(encodeIceServers(issueIceServers(ice, now)))
        await stream.close()
        iceHandouts++
      } catch (err) {
        log.debug(`ice servers failed: ${(err as Error).message}`)
        stream.abort(err as Error)
      }
    })
  }

  // The effort relay descriptors need (proposal 327's suggested effort, set by
  // the operator). Direct connections only, like ICE servers.
  const relayWorkReply = encodeRelayWorkParams(opts.relayWorkEffort ?? DEFAULT_RELAY_WORK_EFFORT)
  await node.handle(RELAY_WORK_PROTOCOL, async (stream: Stream, connection) => {
    try {
      if (connection.limits != null) {
        stream.abort(new Error('relay work refused on a relayed connection'))
        return
      }
      await lpStream(stream).write(relayWorkReply)
      await stream.close()
    } catch (err) {
      log.debug(`relay work failed: ${(err as Error).message}`)
      stream.abort(err as Error)
    }
  })

  const multiaddrs = node.getMultiaddrs().map(ma => ma.toString())
  let server: Server | null = null
  let httpUrl: string | null = null
  if (opts.httpPort != null) {
    server = createServer((req, res) => {
      res.setHeader('Access-Control-Allow-Origin', '*')
      res.setHeader('Cache-Control', 'no-store')
      if (req.method !== 'GET' || (req.url !== '/' && req.url !== '/multiaddrs' && req.url !== '/info')) {
        res.writeHead(404).end()
        return
      }
      res.writeHead(200, { 'Content-Type': 'application/json' })
      res.end(JSON.stringify({ multiaddrs: node.getMultiaddrs().map(ma => ma.toString()) }))
    })
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject)
      server!.listen(opts.httpPort!, opts.host, () => resolve())
    })
    const addr = server.address()
    if (addr != null && typeof addr === 'object') httpUrl = `http://${opts.host}:${addr.port}/`
  }

  const stats = () => ({ reservations: node.services.relay.reservations.size, connections: node.getConnections().length, iceHandouts })
  let last = ''
  const timer = setInterval(() => {
    const s = stats()
    const line = `reservations=${s.reservations} connections=${s.connections} ice_handouts=${s.iceHandouts}`
    if (line !== last) log.info(line)
    last = line
  }, opts.statsIntervalMs ?? RELAY_STATS_INTERVAL_MS)
  timer.unref()

  return {
    node,
    multiaddrs,
    httpUrl,
    stats,
    async stop () {
      clearInterval(timer)
      if (server != null) {
        server.closeAllConnections()
        await new Promise<void>(resolve => server!.close(() => resolve()))
      }
      await node.stop()
    }
  }
}

function shuffle<T> (items: T[]): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    const tmp = items[i]!
    items[i] = items[j]!
    items[j] = tmp
  }
}

function isLoopback (host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host)
}
