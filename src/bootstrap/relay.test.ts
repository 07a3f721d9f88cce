import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createLibp2p } from 'libp2p'
import { webSockets } from '@libp2p/websockets'
import { noise } from '@libp2p/noise'
import { yamux } from '@libp2p/yamux'
import { identify } from '@libp2p/identify'
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { createLogger } from './log.ts'
import { loadOrCreateKey } from './key-file.ts'
import { startBootstrapRelay, RELAY_MAX_RESERVATIONS } from './relay.ts'
import { decodePeerExchange, PEER_EXCHANGE_PROTOCOL } from '../core/discovery/peer-exchange.ts'
import { decodeIceServers, ICE_SERVERS_PROTOCOL } from '../core/discovery/ice-servers.ts'
import { decodeRelayWorkParams, RELAY_WORK_PROTOCOL } from '../core/discovery/relay-work-params.ts'
import { DEFAULT_RELAY_WORK_EFFORT } from '../core/directory/limits.ts'
import { turnRestCredential } from './turn-credentials.ts'

const dir = mkdtempSync(join(tmpdir(), 'shallot-relay-test-'))
afterAll(() => { rmSync(dir, { recursive: true, force: true }) })

async function client () {
  const node = await createLibp2p({
    addresses: { listen: ['/p2p-circuit'] },
    transports: [webSockets(), circuitRelayTransport()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: { denyDialMultiaddr: async () => false },
    services: { identify: identify() }
  })
  await node.start()
  return node
}

describe('bootstrap relay', () => {
  it('keeps its peer id across restarts through the key file, written 0600', async () => {
    const file = join(dir, 'relay.key')
    const first = await loadOrCreateKey(file)
    const second = await loadOrCreateKey(file)
    expect(first.created).toBe(true)
    expect(second.created).toBe(false)
    expect(peerIdFromPrivateKey(second.key).equals(peerIdFromPrivateKey(first.key))).toBe(true)
    expect(statSync(file).mode & 0o777).toBe(0o600)
  })

  it('lets tabs reserve, answers peer exchange from reservations, and logs counts only', async () => {
    const lines: string[] = []
    const { key } = await loadOrCreateKey(undefined)
    const relay = await startBootstrapRelay({
      host: '127.0.0.1', port: 0, httpPort: 0, privateKey: key, log: createLogger('info', l => lines.push(l)), statsIntervalMs: 100
    })
    expect(RELAY_MAX_RESERVATIONS).toBeGreaterThan(15)
    const a = await client()
    const b = await client()
    try {
      const addr = multiaddr(relay.multiaddrs[0]!)
      await a.dial(addr)
      await b.dial(addr)
      await expect.poll(() => relay.stats().reservations, { timeout: 15_000 }).toBe(2)

      // Peer exchange: b learns a's id (and not its own).
      const stream = await b.dialProtocol(addr, PEER_EXCHANGE_PROTOCOL)
      const reply = decodePeerExchange((await lpStream(stream).read()).subarray())
      expect(reply.map(e => e.id)).toEqual([a.peerId.toString()])

      // The info endpoint serves the relay's own addresses.
      const info = await (await fetch(relay.httpUrl!)).json() as { multiaddrs: string[] }
      expect(info.multiaddrs).toEqual(relay.multiaddrs)

      await expect.poll(() => lines.some(l => l.includes('reservations=2')), { timeout: 5_000 }).toBe(true)
      const log = lines.join('\n')
      for (const secret of [a.peerId.toString(), b.peerId.toString(), relay.node.peerId.toString(), '127.0.0.1']) {
        expect(log).not.toContain(secret)
      }
    } finally {
      await a.stop()
      await b.stop()
      await relay.stop()
    }
  })

  it('announces the relay-descriptor proof-of-work effort its operator chose (default otherwise)', async () => {
    const { key } = await loadOrCreateKey(undefined)
    const chosen = await startBootstrapRelay({ host: '127.0.0.1', port: 0, httpPort: null, privateKey: key, log: createLogger('error'), relayWorkEffort: 1024 })
    const { key: key2 } = await loadOrCreateKey(undefined)
    const plain = await startBootstrapRelay({ host: '127.0.0.1', port: 0, httpPort: null, privateKey: key2, log: createLogger('error') })
    const tab = await client()
    try {
      for (const [relay, effort] of [[chosen, 1024], [plain, DEFAULT_RELAY_WORK_EFFORT]] as const) {
        const stream = await tab.dialProtocol(multiaddr(relay.multiaddrs[0]!), RELAY_WORK_PROTOCOL)
        expect(decodeRelayWorkParams((await lpStream(stream).read()).subarray())).toBe(effort)
      }
    } finally {
      await tab.stop()
      await chosen.stop()
      await plain.stop()
    }
  })

  it('hands each tab STUN/TURN with fresh credentials, refuses a tab that asks too often, and lists only tabs still there', async () => {
    const lines: string[] = []
    const { key } = await loadOrCreateKey(undefined)
    const relay = await startBootstrapRelay({
      host: '127.0.0.1', port: 0, httpPort: null, privateKey: key, log: createLogger('info', l => lines.push(l)), statsIntervalMs: 100,
      ice: { urls: ['stun:203.0.113.10:3478', 'turn:203.0.113.10:3478?transport=udp'], secret: 'test-secret', ttlSeconds: 60 }
    })
    const a = await client()
    const b = await client()
    try {
      const addr = multiaddr(relay.multiaddrs[0]!)
      const before = Math.floor(Date.now() / 1000)
      const stream = await a.dialProtocol(addr, ICE_SERVERS_PROTOCOL)
      const reply = decodeIceServers((await lpStream(stream).read()).subarray())
      expect(reply.expiresAt).toBeGreaterThanOrEqual(before + 60)
      expect(reply.expiresAt).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 60)
      const turn = reply.servers.find(s => s.urls.some(u => u.startsWith('turn:')))!
      expect(turn.username).toMatch(new RegExp(`^${reply.expiresAt}:[0-9a-f]{16}$`))
      expect(turn.credential).toBe(turnRestCredential('test-secret', turn.username!))
      expect(turn.username).not.toContain(a.peerId.toString())
      expect(reply.servers.find(s => s.urls[0]!.startsWith('stun:'))).toEqual({ urls: ['stun:203.0.113.10:3478'] })

      // The same connection asking again at once is refused (credential harvesting).
      const again = await a.dialProtocol(addr, ICE_SERVERS_PROTOCOL)
      await expect(lpStream(again).read()).rejects.toThrow()
      expect(relay.stats().iceHandouts).toBe(1)

      // A tab that left is not handed out by peer exchange, and its slot is free at once.
      await b.dial(addr)
      await expect.poll(() => relay.stats().reservations, { timeout: 15_000 }).toBe(2)
      await b.stop()
      await expect.poll(() => relay.stats().connections, { timeout: 5_000 }).toBe(1)
      await expect.poll(() => relay.stats().reservations, { timeout: 5_000 }).toBe(1)
      const px = await a.dialProtocol(addr, PEER_EXCHANGE_PROTOCOL)
      expect(decodePeerExchange((await lpStream(px).read()).subarray())).toEqual([])
      await expect.poll(() => lines.some(l => l.includes('ice_handouts=1')), { timeout: 5_000 }).toBe(true)
      expect(lines.join('\n')).not.toContain('test-secret')
    } finally {
      await a.stop()
      await b.stop()
      await relay.stop()
    }
  })

  it('a full relay refuses a new tab, and takes one again as soon as a tab leaves (slots are not held for the TTL)', async () => {
    const { key } = await loadOrCreateKey(undefined)
    const relay = await startBootstrapRelay({ host: '127.0.0.1', port: 0, httpPort: null, privateKey: key, log: createLogger('error'), maxReservations: 1 })
    const [a, b] = [await client(), await client()]
    let c: Awaited<ReturnType<typeof client>> | null = null
    try {
      const addr = multiaddr(relay.multiaddrs[0]!)
      await a.dial(addr)
      await expect.poll(() => relay.stats().reservations, { timeout: 15_000 }).toBe(1)
      await b.dial(addr)
      await new Promise(resolve => setTimeout(resolve, 1_000))
      expect(relay.node.services.relay.reservations.has(b.peerId)).toBe(false)
      await a.stop()
      await b.stop()
      await expect.poll(() => relay.stats().reservations, { timeout: 5_000 }).toBe(0)
      c = await client()
      await c.dial(addr)
      await expect.poll(() => relay.node.services.relay.reservations.has(c!.peerId), { timeout: 15_000 }).toBe(true)
    } finally {
      await a.stop()
      await b.stop()
      await c?.stop()
      await relay.stop()
    }
  })
})
