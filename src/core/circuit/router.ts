/**
 * The onion router: the protocol state machine of one peer (the `tor-proto`
 * half of arti's split), for both roles every tab plays. This file holds the
 * circuit table, the per-cell dispatch (the hot path: RELAY cells are peeled
 * and forwarded in place), error handling and the periodic sweep; each
 * concern it dispatches to has its own module:
 *
 * | concern | module |
 * |---|---|
 * | types it speaks (LinkLayer, RelayInfo, options, events) | types.ts |
 * | its errors | errors.ts |
 * | every limit and constant | limits.ts |
 * | SENDME windows (tor-spec §7.3–7.4, prop 289) | flow-control.ts |
 * | onionskins made ahead | onionskin.ts |
 * | a client circuit; building one; cells coming back to it | client-circuit.ts, client-build.ts, client-inbound.ts |
 * | a relayed circuit; CREATE, EXTEND, forwarding | relay-circuit.ts, relay-cells.ts |
 * | the echo and sink test endpoints | endpoints.ts |
 * | introduction point, rendezvous point, HSDir | ../rendezvous/relay-roles.ts |
 *
 * It touches the world only through a {@link LinkLayer} (whole cells to and
 * from neighbours, keyed by peer id), an injected clock and random source.
 * Bad input — a malformed cell, an unknown command, a failed digest, a bad
 * handshake — is a named ProtocolError that destroys *that circuit* (DESTROY
 * to both sides, tor-spec §5.4) and nothing else; no input throws out of
 * {@link OnionRouter.handleCell}.
 *
 * Members marked internal are shared with those modules (plain functions that
 * take the router), not part of the API.
 */
import { CELL_SIZE, CIRC_ID_LEN } from '../constants.ts'
import { readU32, writeU32 } from '../bytes.ts'
import {
  CELL_HEADER_LEN, decodeCell, DestroyReason, encodeCell, encodeRelayBody, LinkCommand, MAX_CIRC_ID, RELAY_BODY_LEN, RelayCommand,
  type LinkCell, type RelayCell
} from '../cell/index.ts'
import { nobleDh, type X25519Dh } from '../crypto/index.ts'
import { ReplayCache } from '../replay-cache.ts'
import { isProtocolError, ProtocolViolationError } from '../errors.ts'
import { BucketsByPeer } from '../channel/token-bucket.ts'
import { RelayRoles } from '../rendezvous/relay-roles.ts'
import { buildCircuit } from './client-build.ts'
import type { ClientCircuit } from './client-circuit.ts'
import { finishHop, holdCell, onClientRelay } from './client-inbound.ts'
import { CircuitClosedError } from './errors.ts'
import { DEFAULT_ROUTER_LIMITS, ONWARD_REPLAY_CACHE_MAX, type RouterLimits } from './limits.ts'
import { PreparedOnionskins } from './onionskin.ts'
import { onCreate, onRelayCreated, onRelayInbound, onRelayOutbound } from './relay-cells.ts'
import { destroyRelay, type RelayCircuit } from './relay-circuit.ts'
import { newRelayWire } from './relay-wire.ts'
import { keyOf, type BuildOptions, type BuildProgress, type RelayInfo, type RouterOptions, type RouterStats, type Side } from './types.ts'

// The router's public API, wherever each part lives.
export type { BuildOptions, BuildProgress, HopState, LinkLayer, RelayInfo, RouterEvent, RouterOptions, RouterStats } from './types.ts'
export type { HsDirHooks } from '../rendezvous/relay-roles.ts'
export { ControlStatus } from '../rendezvous/constants.ts'
export { CircuitClosedError, CircuitLimitError, CircuitTimeoutError } from './errors.ts'
export { MAX_PREPARED_ONIONSKINS, ONWARD_HOLD_MS, PREPARED_ONIONSKIN_TTL_MS, SINK_CHUNK_CELLS } from './limits.ts'
export { ECHO_TARGET, SINK_TARGET } from './endpoints.ts'
export { ClientCircuit } from './client-circuit.ts'

/** A circuit table entry: which circuit a (link, circuit id) names, and from which side. */
type Entry = { role: 'relay-prev' | 'relay-next', circ: RelayCircuit } | { role: 'client', circ: ClientCircuit }

export class OnionRouter {
  readonly limits: RouterLimits
  /** @internal The circuit table, by keyOf(peer, circId). */
  readonly byKey = new Map<string, Entry>()
  /** @internal */ readonly relayCircuits = new Set<RelayCircuit>()
  /** @internal */ readonly clientCircuits = new Set<ClientCircuit>()
  /** @internal CREATE token buckets, per neighbour (relay-cells.ts). */
  readonly createBuckets: BucketsByPeer
  /** @internal */ cellsRelayed = 0
  private protocolErrors = 0
  private cancelSweep: (() => void) | null = null
  /** @internal CREATEs whose handshake is being computed (keyOf(peer, circId)). */
  readonly pendingCreates = new Set<string>()
  /** @internal Onionskins made ahead for likely first hops ({@link prepareOnionskin}). */
  readonly onionskins: PreparedOnionskins
  /** @internal */ readonly dh: X25519Dh
  /** @internal Introduction points and rendezvous served here. */
  readonly roles: RelayRoles
  /** @internal Client ephemerals X of onward CREATEs answered here (docs/PROTOCOL.md §7 "Building with an onward header"). */
  readonly onwardReplays = new ReplayCache(ONWARD_REPLAY_CACHE_MAX)

  constructor (/** @internal */ readonly opts: RouterOptions) {
    this.limits = { ...DEFAULT_ROUTER_LIMITS, ...opts.limits }
    this.dh = opts.dh ?? nobleDh
    this.onionskins = new PreparedOnionskins(opts.random, this.dh, opts.now)
    this.createBuckets = new BucketsByPeer({ ratePerSecond: this.limits.createRatePerSecond, burst: this.limits.createBurst, clock: { now: opts.now } })
    this.roles = new RelayRoles(this)
    this.scheduleSweep()
  }

  get peerId (): string { return this.opts.peerId }

  /** @internal Run `fn` after `ms` with the injected timer; returns a cancel function. */
  timer (ms: number, fn: () => void): () => void { return this.opts.setTimer(ms, fn) }

  stats (): RouterStats {
    return { relayCircuits: this.relayCircuits.size, clientCircuits: this.clientCircuits.size, cellsRelayed: this.cellsRelayed, protocolErrors: this.protocolErrors }
  }

  /**
   * Whether a circuit, ours or relayed, runs over the link to `peer`. The
   * peer manager never closes such a link to trim its neighbour count: that
   * would destroy the circuits.
   */
  hasCircuitsWith (peer: string): boolean {
    for (const c of this.clientCircuits) if (c.first.peer === peer) return true
    for (const c of this.relayCircuits) if (c.prev.peer === peer || c.next?.peer === peer) return true
    // A CREATE from that peer whose handshake is still being computed.
    for (const key of this.pendingCreates) if (key.endsWith(`@${peer}`)) return true
    return false
  }

  /** Stop timers and close every circuit (the tab is going away). */
  shutdown (): void {
    this.cancelSweep?.()
    this.pendingCreates.clear()
    this.onionskins.clear()
    for (const c of [...this.clientCircuits]) this.destroyClient(c, DestroyReason.FINISHED)
    for (const c of [...this.relayCircuits]) destroyRelay(this, c, DestroyReason.FINISHED, null)
  }

  /**
   * Build a circuit through `path` (first hop first). Resolves when every hop
   * is open; rejects with a named error (timeout, closed, handshake) otherwise.
   * How: client-build.ts.
   */
  async buildCircuit (path: readonly RelayInfo[], onProgress?: (p: BuildProgress) => void, opts: BuildOptions = {}): Promise<ClientCircuit> {
    return await buildCircuit(this, path, onProgress, opts)
  }

  /**
   * Make an onionskin for `relay` ahead of a build through it, so that
   * build's CREATE goes out at once (an onward CREATE needs every hop's). At most
   * MAX_PREPARED_ONIONSKINS, one per relay; the oldest is wiped to
   * make room. Each is used once, like any ephemeral (tor-spec §5.1.4).
   */
  prepareOnionskin (relay: RelayInfo): void { this.onionskins.prepare(relay) }

  /**
   * Hand an INTRODUCE1 body to the service circuit registered for its auth id
   * as INTRODUCE2; the ControlStatus for INTRODUCE_ACK. Used when this tab is
   * itself the introduction point a local client picked.
   */
  introduce (data: Uint8Array): number { return this.roles.introduce(data) }

  /** @internal Encrypt and send one relay cell to hop `target` of a client circuit. */
  sendRelay (circ: ClientCircuit, target: number, cell: RelayCell): void {
    const wire = newRelayWire(circ.first.circId)
    const body = encodeRelayBody(cell, this.opts.random, wire.subarray(CELL_HEADER_LEN))
    circ.crypto.encryptOutbound(body, target, LinkCommand.RELAY)
    if (cell.command === RelayCommand.DATA) {
      circ.flow.package--
      const sent = ++circ.cellsSent
      if (sent % circ.flow.increment === 0) circ.flow.expected.push(circ.crypto.lastOutboundTag(target))
    }
    this.forwardInPlace(wire, circ.first)
  }

  /** @internal */
  destroyClient (circ: ClientCircuit, reason: DestroyReason, err?: Error, notifyFirstHop = true): void {
    if (!this.clientCircuits.delete(circ)) return
    this.byKey.delete(keyOf(circ.first.peer, circ.first.circId))
    if (notifyFirstHop && this.opts.links.has(circ.first.peer)) this.sendDestroy(circ.first, reason)
    circ.closed(err ?? new CircuitClosedError(reason, `circuit closed (reason ${reason})`))
  }

  /** @internal Re-label a RELAY cell with the other side's circuit id and send the same buffer on. */
  forwardInPlace (cell: Uint8Array, to: Side): void {
    writeU32(cell, 0, to.circId)
    try {
      this.opts.links.send(to.peer, cell)
    } catch (err) {
      if (isProtocolError(err, 'queue-full')) queueMicrotaskSafe(() => { this.handleLinkQueueFull(to.peer, to.circId) })
    }
  }

  // ---- link --------------------------------------------------------------

  /**
   * Every cell from a neighbour enters here. Nothing thrown escapes: protocol
   * errors destroy the circuit the cell belonged to.
   */
  handleCell (from: string, bytes: Uint8Array): void {
    let circId = 0
    if (bytes.length >= 4) circId = readU32(bytes, 0)
    try {
      if (bytes.length === CELL_SIZE && bytes[CIRC_ID_LEN] === LinkCommand.RELAY) {
        // Hot path: RELAY cells are peeled and forwarded in place, without
        // decoding into a copy (the cell buffer is ours: the link layer hands
        // each cell over once).
        const entry = this.byKey.get(keyOf(from, circId))
        if (entry == null) return // late cell for a circuit already gone: drop (tor-spec §5.4)
        const body = bytes.subarray(CELL_HEADER_LEN)
        if (entry.role === 'client') {
          if (entry.circ.finishing) holdCell(entry.circ, body)
          else onClientRelay(this, entry.circ, body)
        }
        else if (entry.role === 'relay-prev') onRelayOutbound(this, entry.circ, body, bytes)
        else onRelayInbound(this, entry.circ, body, bytes)
        return
      }
      const cell = decodeCell(bytes)
      this.dispatch(from, cell)
    } catch (err) {
      this.onError(from, circId, err)
    }
  }

  handleLinkClosed (peer: string): void {
    for (const key of [...this.pendingCreates]) if (key.endsWith(`@${peer}`)) this.pendingCreates.delete(key)
    for (const [key, entry] of [...this.byKey]) {
      if (!key.endsWith(`@${peer}`)) continue
      if (entry.role === 'client') {
        this.destroyClient(entry.circ, DestroyReason.CHANNEL_CLOSED, new CircuitClosedError(DestroyReason.CHANNEL_CLOSED, 'the link to the first hop closed'))
      } else {
        destroyRelay(this, entry.circ, DestroyReason.CHANNEL_CLOSED, entry.role === 'relay-prev' ? 'prev' : 'next')
      }
    }
  }

  private dispatch (from: string, cell: LinkCell): void {
    const { circId, msg } = cell
    if (msg.command === LinkCommand.PADDING) return
    const entry = this.byKey.get(keyOf(from, circId))
    switch (msg.command) {
      case LinkCommand.CREATE:
        if (entry != null || this.pendingCreates.has(keyOf(from, circId))) throw new ProtocolViolationError('CREATE for a circuit id in use')
        onCreate(this, from, circId, msg.htype, msg.hdata)
        return
      case LinkCommand.CREATED:
        if (entry?.role === 'client') {
          const pending = entry.circ.takePendingHandshake()
          if (pending == null || entry.circ.crypto.length !== 0) throw new ProtocolViolationError('unexpected CREATED')
          finishHop(this, entry.circ, pending, msg.hdata)
        } else if (entry?.role === 'relay-next') {
          onRelayCreated(this, entry.circ, msg.hdata)
        } else {
          throw new ProtocolViolationError('CREATED for an unknown circuit')
        }
        return
      case LinkCommand.RELAY:
        return // handled on the hot path in handleCell
      case LinkCommand.DESTROY:
        this.pendingCreates.delete(keyOf(from, circId))
        if (entry == null) return
        // The first hop destroyed it: no DESTROY back (tor-spec §5.4).
        if (entry.role === 'client') this.destroyClient(entry.circ, msg.reason, new CircuitClosedError(msg.reason, `circuit destroyed by a relay (reason ${msg.reason})`), false)
        else destroyRelay(this, entry.circ, msg.reason, entry.role === 'relay-prev' ? 'prev' : 'next')
    }
  }

  // ---- errors ------------------------------------------------------------

  /** @internal Count a protocol error (stats, onEvent). */
  countError (err: unknown): void {
    if (isProtocolError(err)) {
      this.protocolErrors++
      this.opts.onEvent?.({ type: 'protocol-error', kind: err.kind })
    }
  }

  /** @internal Bad input on (from, circId): destroy that circuit, and only it. */
  onError (from: string, circId: number, err: unknown): void {
    if (!(err instanceof Error)) return
    this.countError(err)
    const entry = this.byKey.get(keyOf(from, circId))
    if (entry?.role === 'client') {
      this.destroyClient(entry.circ, DestroyReason.PROTOCOL, err)
    } else if (entry != null) {
      destroyRelay(this, entry.circ, DestroyReason.PROTOCOL, null)
    } else if (circId !== 0 && this.opts.links.has(from)) {
      // A bad CREATE or a cell for no circuit: refuse that circuit id only.
      this.sendDestroy({ peer: from, circId }, DestroyReason.PROTOCOL)
    }
  }

  /** @internal */
  sendDestroy (side: Side, reason: DestroyReason): void {
    this.sendLink(side.peer, { circId: side.circId, msg: { command: LinkCommand.DESTROY, reason } })
  }

  /** @internal */
  sendLink (peer: string, cell: LinkCell): void {
    try {
      this.opts.links.send(peer, encodeCell(cell))
    } catch (err) {
      // The link is gone or its queue is full: that neighbour's circuits close
      // when the link layer reports the close; a full queue destroys this one.
      if (isProtocolError(err, 'queue-full')) queueMicrotaskSafe(() => { this.handleLinkQueueFull(peer, cell.circId) })
    }
  }

  private handleLinkQueueFull (peer: string, circId: number): void {
    const entry = this.byKey.get(keyOf(peer, circId))
    if (entry?.role === 'client') this.destroyClient(entry.circ, DestroyReason.RESOURCELIMIT)
    else if (entry != null) destroyRelay(this, entry.circ, DestroyReason.RESOURCELIMIT, null)
  }

  /** @internal A random circuit id unused on the link to `peer` (tor-spec §5.1.1: ids are per link). */
  newCircId (peer: string): number {
    for (;;) {
      const id = readU32(this.opts.random(4), 0)
      if (id !== 0 && id <= MAX_CIRC_ID && !this.byKey.has(keyOf(peer, id))) return id
    }
  }

  // ---- sweep -------------------------------------------------------------

  private scheduleSweep (): void {
    const period = Math.max(1_000, Math.floor(Math.min(this.limits.idleCircuitMs / 4, this.limits.rendezvousTimeoutMs / 2)))
    this.cancelSweep = this.opts.setTimer(period, () => {
      const now = this.opts.now()
      for (const c of [...this.relayCircuits]) if (now - c.lastActivity > this.limits.idleCircuitMs) destroyRelay(this, c, DestroyReason.FINISHED, null)
      for (const { circ, at } of [...this.roles.rendezvous.values()]) if (now - at > this.limits.rendezvousTimeoutMs) destroyRelay(this, circ, DestroyReason.TIMEOUT, null)
      // A neighbour's CREATE and HSDir-store budgets outlive its channel (reconnecting must not refill them).
      this.createBuckets.sweep(p => this.opts.links.has(p))
      this.roles.storeBuckets.sweep(p => this.opts.links.has(p))
      this.scheduleSweep()
    })
  }
}

function queueMicrotaskSafe (fn: () => void): void {
  void Promise.resolve().then(fn)
}

export { CELL_SIZE, RELAY_BODY_LEN }
