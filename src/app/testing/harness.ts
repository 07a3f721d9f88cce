/**
 * A peer for tests and benchmarks: the same network and onion layer as the
 * app, plus hooks the app never has — recording every cell this tab sends or
 * receives, building circuits through chosen relays, raw one-link baselines,
 * and sending garbage to a neighbour. Served as harness.html in test builds
 * only (`npm run build:test`); the app (index.html) never loads it and the
 * release build does not contain it.
 */
import type { ClientCircuit } from '../../core/circuit/router.ts'
import { CELL_SIZE } from '../../core/constants.ts'
import { LinkCommand, RELAY_BODY_LEN } from '../../core/cell/index.ts'
import { CGO_KEY_MATERIAL_LEN, CgoRelayCircuitCrypto, cgoShape } from '../../core/crypto/index.ts'
import { Network, shortPeerId } from '../../net/network.ts'
import { sendGarbageOnChannel } from '../../net/testing/garbage.ts'
import { echoRtts, registerBenchProtocols, sinkGoodput } from '../../net/bench-protocols.ts'
import { resolveNetworkConfig } from '../config.ts'
import { OnionService } from '../onion/index.ts'

interface Frame { direction: 'in' | 'out', peer: string, cell: Uint8Array }

export interface Harness {
  readonly peerId: () => string
  readonly shortId: () => string
  directPeers(): string[]
  knownRelays(): string[]
  /** Build a circuit (through `path` peer ids, or a chosen path); returns a handle number. */
  /** `telescope`: extend hop by hop instead of in one onward CREATE (for comparison). */
  build(path?: string[], opts?: { telescope?: boolean }): Promise<{ handle: number, path: string[], ms: number, hopMs: number[] }>
  echo(handle: number, hex: string): Promise<{ hex: string, ms: number }>
  /** Round trips of `size` bytes through the circuit's echo on one stream, each after `idleMs` of quiet (default none: back to back). */
  echoRtts(handle: number, count: number, size: number, idleMs?: number): Promise<number[]>
  sink(handle: number, bytes: number): Promise<number>
  circuitState(handle: number): { state: string, error: string | null }
  destroy(handle: number): void
  rawEchoRtts(peer: string, count: number, size: number): Promise<number[]>
  rawGoodput(peer: string, bytes: number): Promise<number>
  /** Frames recorded so far, summarised: count, sizes, and how many contain `markerHex`. */
  frames(markerHex: string): { count: number, forwarded: number, allCellSize: boolean, withMarker: number }
  relayStats(): { relayCircuits: number, protocolErrors: number, cellsRelayed: number }
  sendGarbage(peer: string, bytes: number): Promise<void>
  /** µs per cell for one hop's relay crypto: forwarding (peel a layer, not ours) and originating. */
  cryptoBench(cells: number): { forwardUs: number, originateUs: number }
  /** Cells this tab has sent so far (all links). */
  cellsOut(): number
  /** This tab's failed outbound dials, with what each signalling route said. */
  dialFailures(): Array<{ at: number, purpose: 'mesh' | 'circuit', errors: readonly string[], neighbourRoutes: number }>
  /** Close every connection to `peer` (the peer manager may dial it again). */
  disconnect(peer: string): Promise<void>
  /** The network snapshot's figures the tests and the bench read. */
  networkFigures(): { phase: string, firstDirectPeerMs: number | null, directPeers: number, paths: Array<{ local: string, remote: string, relayed: boolean } | null>, signalledVia: { neighbour: number, bootstrap: number } }
  /** This tab's successful outbound dials with the route their signalling took (ms since start). */
  dialRecords(): Array<{ at: number, route: 'neighbour' | 'bootstrap', purpose: 'mesh' | 'circuit', neighbourFailures: readonly string[], hadNeighbourRoute: boolean }>
}

export function createHarness (): Harness {
  const network = new Network(resolveNetworkConfig(window.location, import.meta.env.VITE_BOOTSTRAP as string | undefined).config)
  const frames: Frame[] = []
  // Recording copies every cell and keeps it: the e2e tests need it, the bench
  // (`?frames=off`) must not pay for it in its goodput figures.
  const recordFrames = new URLSearchParams(window.location.search).get('frames') !== 'off'
  let cellsOut = 0
  const onion = new OnionService(network, {
    onFrame: (direction, peer, cell) => {
      if (direction === 'out') cellsOut++
      if (recordFrames) frames.push({ direction, peer, cell: cell.slice() })
    }
  })
  const circuits = new Map<number, ClientCircuit>()
  let nextHandle = 1
  void network.start().then(async () => {
    await registerBenchProtocols(network.libp2p!)
    await onion.start()
  })
  const circuit = (h: number): ClientCircuit => {
    const c = circuits.get(h)
    if (c == null) throw new Error('no such circuit')
    return c
  }
  const directConn = (peer: string) => {
    const conn = network.directConnectionTo(peer)
    if (conn == null) throw new Error('no direct connection')
    return conn
  }
  const hexToBytes = (hex: string): Uint8Array => Uint8Array.from(hex.match(/../g) ?? [], b => parseInt(b, 16))
  const bytesToHex = (b: Uint8Array): string => [...b].map(x => x.toString(16).padStart(2, '0')).join('')
  return {
    peerId: () => network.libp2p?.peerId.toString() ?? '',
    shortId: () => shortPeerId(network.libp2p?.peerId.toString() ?? ''),
    directPeers: () => network.getSnapshot().peers.filter(p => p.kind === 'direct-webrtc').map(p => p.id),
    knownRelays: () => onion.relayDirectory?.relays().map(r => r.peerId) ?? [],
    async build (path, opts) {
      await onion.start()
      const relays = onion.relayDirectory!.relays()
      const chosen = path != null ? path.map(id => { const r = relays.find(x => x.peerId === id); if (r == null) throw new Error('unknown relay'); return r }) : onion.choosePath()
      const t = performance.now()
      const hopMs: number[] = []
      const c = await onion.buildCircuit(chosen, (p) => { if (p.state === 'open') hopMs[p.hop] = performance.now() - t }, { telescope: opts?.telescope === true })
      const handle = nextHandle++
      circuits.set(handle, c)
      return { handle, path: chosen.map(r => r.peerId), ms: performance.now() - t, hopMs }
    },
    async echo (handle, hex) {
      const t = performance.now()
      const out = await circuit(handle).echo(hexToBytes(hex))
      return { hex: bytesToHex(out), ms: performance.now() - t }
    },
    async echoRtts (handle, count, size, idleMs = 0) {
      const c = circuit(handle)
      const msg = new Uint8Array(size).fill(7)
      const rtts: number[] = []
      // One stream, many round trips: the same shape as the raw baseline.
      let resolveOne: (() => void) | null = null
      let got = 0
      const streamId = c.openStream('echo', (d) => { got += d.length; if (got >= size) { got -= size; resolveOne?.() } }, () => {})
      for (let i = 0; i < count; i++) {
        if (idleMs > 0) await new Promise(resolve => setTimeout(resolve, idleMs))
        const done = new Promise<void>(resolve => { resolveOne = resolve })
        const t = performance.now()
        await c.write(streamId, msg)
        await done
        rtts.push(performance.now() - t)
      }
      c.endStream(streamId)
      return rtts
    },
    async sink (handle, bytes) {
      const t = performance.now()
      await circuit(handle).sink(bytes)
      return bytes / 1e6 / ((performance.now() - t) / 1000)
    },
    circuitState: (handle) => { const c = circuit(handle); return { state: c.state, error: c.closeReason?.name ?? null } },
    destroy: (handle) => { circuits.get(handle)?.destroy(); circuits.delete(handle) },
    rawEchoRtts: async (peer, count, size) => await echoRtts(directConn(peer), count, size),
    rawGoodput: async (peer, bytes) => await sinkGoodput(directConn(peer), bytes),
    frames (markerHex) {
      if (!recordFrames) throw new Error('this tab records no frames (opened with ?frames=off)')
      const marker = hexToBytes(markerHex)
      const has = (cell: Uint8Array): boolean => {
        outer: for (let i = 0; i + marker.length <= cell.length; i++) {
          for (let j = 0; j < marker.length; j++) if (cell[i + j] !== marker[j]) continue outer
          return true
        }
        return false
      }
      const relayed = onion.onionRouter?.stats().cellsRelayed ?? 0
      return { count: frames.length, forwarded: relayed, allCellSize: frames.every(f => f.cell.length === CELL_SIZE), withMarker: frames.filter(f => has(f.cell)).length }
    },
    relayStats: () => { const s = onion.onionRouter?.stats(); return { relayCircuits: s?.relayCircuits ?? 0, protocolErrors: s?.protocolErrors ?? 0, cellsRelayed: s?.cellsRelayed ?? 0 } },
    cryptoBench (cells) {
      const keys = crypto.getRandomValues(new Uint8Array(CGO_KEY_MATERIAL_LEN))
      const relay = new CgoRelayCircuitCrypto(keys, cgoShape(RELAY_BODY_LEN))
      // A random body is not ours (its T is not our nonce): a cell to forward, the common case at a relay.
      const body = crypto.getRandomValues(new Uint8Array(RELAY_BODY_LEN))
      let t = performance.now()
      for (let i = 0; i < cells; i++) relay.decryptOutbound(body, LinkCommand.RELAY)
      const forwardUs = (performance.now() - t) * 1000 / cells
      t = performance.now()
      for (let i = 0; i < cells; i++) relay.originateInbound(body, LinkCommand.RELAY)
      const originateUs = (performance.now() - t) * 1000 / cells
      return { forwardUs, originateUs }
    },
    cellsOut: () => cellsOut,
    dialRecords: () => network.dialRecords().map(r => ({ ...r })),
    dialFailures: () => network.dialFailures().map(r => ({ ...r })),
    disconnect: async (peer) => { await network.disconnectPeer(peer) },
    networkFigures: () => {
      const s = network.getSnapshot()
      const direct = s.peers.filter(p => p.kind === 'direct-webrtc')
      return { phase: s.phase, firstDirectPeerMs: s.firstDirectPeerMs, directPeers: s.directPeers, paths: direct.map(p => p.path), signalledVia: s.signalledVia }
    },
    async sendGarbage (peer, bytes) { await sendGarbageOnChannel(network, peer, bytes) }
  }
}
