/**
 * The onion router: the protocol state machine of one peer (the `tor-proto`
 * half of arti's split), for both roles every tab plays.
 *
 * As a *client* it builds circuits hop by hop, each hop running its own ntor
 * handshake with the client and learning only its predecessor and successor.
 * Paths of up to three hops go out pipelined: one CREATE whose onward header
 * (crypto/onward.ts) tells each hop, sealed to it, where to extend next, so
 * the build takes one round trip of the path. Longer paths telescope
 * (tor-spec §5.1, §5.1.2): CREATE/CREATED with the first hop, then
 * EXTEND/EXTENDED through the circuit. It onion-encrypts relay cells for a
 * chosen hop and peels replies (crypto/relay-crypto).
 *
 * As a *relay* it answers CREATE with CREATED (after extending, for an
 * onward CREATE), peels one layer off each
 * outbound RELAY cell and either handles it (EXTEND, BEGIN/DATA/END of the
 * built-in echo and sink endpoints used to test circuits, SENDME, DROP) or
 * forwards it to the next hop; inbound cells get its layer added and go back.
 *
 * It touches the world only through a {@link LinkLayer} (whole cells to and
 * from neighbours, keyed by peer id), an injected clock and random source.
 * Bad input — a malformed cell, an unknown command, a failed digest, a bad
 * handshake — is a named ProtocolError that destroys *that circuit* (DESTROY
 * to both sides, tor-spec §5.4) and nothing else; no input throws out of
 * {@link OnionRouter.handleCell}.
 */
import { CELL_SIZE, CIRC_ID_LEN } from '../constants.ts'
import { readU32, writeU32 } from '../bytes.ts'
import {
  CELL_HEADER_LEN, decodeCell, decodeEnd, decodeExtend, decodeExtended, decodeRelayBody, decodeSendme, DestroyReason, encodeCell,
  encodeEnd, encodeExtend, encodeExtended, encodeRelayBody, encodeSendme, EndReason, HandshakeType, LinkCommand,
  MAX_CIRC_ID, RELAY_BODY_LEN, RELAY_DATA_MAX, RelayCommand, type LinkCell, type RelayCell
} from '../cell/index.ts'
import {
  ClientCircuitCrypto, joinOnwardHdata, nobleDh, nobleRunningDigest, ntorClientCreateWith, ntorClientFinishWith, ntorServerRespondWith, ONWARD_MAX_HOPS,
  onwardKeys, openOnwardHeader, RelayCircuitCrypto, sealOnwardHeader, splitOnwardHdata,
  type NtorClientState, type NtorPublicKey, type NtorSecretKey, type OnwardKeys, type RunningDigestFactory, type X25519Dh
} from '../crypto/index.ts'
import { ReplayCache } from '../replay-cache.ts'
import { isProtocolError, ProtocolError, ProtocolViolationError, ReplayError } from '../errors.ts'
import type { RandomSource } from '../random.ts'
import { TokenBucket } from '../channel/token-bucket.ts'
import { DEFAULT_ROUTER_LIMITS, MAX_PREPARED_ONIONSKINS, ONWARD_HOLD_MS, ONWARD_REPLAY_CACHE_MAX, PREPARED_ONIONSKIN_TTL_MS, type RouterLimits } from './limits.ts'
import { toHex } from '../bytes.ts'
import {
  decodeEstablishIntro, decodeEstablishRendezvous, decodeHsdirFetch, decodeIntroduce1, decodeRendezvous1, encodeHsdirFound, encodeStatus
} from '../rendezvous/cells.ts'

/** What the router needs from the transport (net's ChannelManager, or the in-memory network). */
export interface LinkLayer {
  send(peer: string, cell: Uint8Array): void
  connect(peer: string): Promise<void>
  has(peer: string): boolean
}

/** A relay as the client knows it from its verified descriptor. */
export interface RelayInfo {
  readonly peerId: string
  readonly nodeId: Uint8Array
  readonly onionKey: Uint8Array
}

export interface RouterOptions {
  /** This peer's transport id (never the user's identity). */
  peerId: string
  /** Onion keys this relay answers CREATE with (current, and previous during rotation). */
  onionKeys: NtorSecretKey[]
  links: LinkLayer
  random: RandomSource
  /** Milliseconds, monotonic. */
  now: () => number
  /** Run `fn` after `ms`; returns a cancel function. */
  setTimer: (ms: number, fn: () => void) => () => void
  limits?: Partial<RouterLimits>
  /** X25519 for the ntor handshakes (default noble; browsers pass Web Crypto's, which is several times faster). */
  dh?: X25519Dh
  /** SHA-256 running digests of relay crypto (default noble; browsers pass a WebAssembly one, about 3× faster per cell). */
  runningDigest?: RunningDigestFactory
  /** Observability hook: counts only, never keys or payloads. */
  onEvent?: (event: RouterEvent) => void
  /**
   * The descriptors this tab holds as an HSDir (core/rendezvous HsDirStore);
   * without it HSDIR_STORE is refused and HSDIR_FETCH finds nothing.
   */
  hsdir?: HsDirHooks
}

/** What the router needs of an HSDir store (docs/RENDEZVOUS.md §4). */
export interface HsDirHooks {
  /** Validate and keep a descriptor; throws a ProtocolError when it is refused. */
  store (descriptor: Uint8Array): boolean
  /** Descriptors held for a descriptor id, newest first. */
  fetch (descId: Uint8Array): Uint8Array[]
}

/** Relay commands a client accepts from the last hop of its circuit and hands to {@link ClientCircuit.onControl} (rend-spec-v3 §3–4). */
const CLIENT_CONTROL_COMMANDS: ReadonlySet<number> = new Set([
  RelayCommand.INTRO_ESTABLISHED, RelayCommand.INTRODUCE2, RelayCommand.INTRODUCE_ACK, RelayCommand.RENDEZVOUS_ESTABLISHED,
  RelayCommand.RENDEZVOUS2, RelayCommand.HSDIR_STORED, RelayCommand.HSDIR_FOUND
])

/** Relay commands a client may send to the last hop with {@link ClientCircuit.sendControl}. */
const RELAY_CONTROL_COMMANDS: ReadonlySet<number> = new Set([
  RelayCommand.ESTABLISH_INTRO, RelayCommand.INTRODUCE1, RelayCommand.ESTABLISH_RENDEZVOUS, RelayCommand.RENDEZVOUS1,
  RelayCommand.HSDIR_STORE, RelayCommand.HSDIR_FETCH
])

/** Status byte of INTRODUCE_ACK and HSDIR_STORED (docs/RENDEZVOUS.md §5). */
export const ControlStatus = { OK: 0, REFUSED: 1 } as const

export type RouterEvent =
  | { type: 'relay-circuit-opened' }
  | { type: 'relay-circuit-closed', reason: DestroyReason }
  | { type: 'protocol-error', kind: ProtocolError['kind'] }

export class CircuitClosedError extends ProtocolError {
  readonly reason: DestroyReason
  constructor (reason: DestroyReason, message: string) {
    super('destroyed', message)
    this.name = 'CircuitClosedError'
    this.reason = reason
  }
}

export class CircuitTimeoutError extends ProtocolError {
  constructor (message: string) { super('timeout', message); this.name = 'CircuitTimeoutError' }
}

export class CircuitLimitError extends ProtocolError {
  constructor (message: string) { super('circuit-limit', message); this.name = 'CircuitLimitError' }
}

export { MAX_PREPARED_ONIONSKINS, ONWARD_HOLD_MS, PREPARED_ONIONSKIN_TTL_MS } from './limits.ts'

/** Targets of BEGIN at the last hop: built-in endpoints for testing circuits. */
export const ECHO_TARGET = 'echo'
export const SINK_TARGET = 'sink'

/**
 * Cells per write() in {@link ClientCircuit.sink}. Large, so the cells of one
 * write leave in full channel batches (a write of n cells is sent in
 * ceil(n / batch) messages; 16-cell writes made a 15-cell and a 1-cell one).
 */
export const SINK_CHUNK_CELLS = 240

const textEncoder = new TextEncoder()
const textDecoder = new TextDecoder()

type Side = { readonly peer: string, readonly circId: number }
const keyOf = (peer: string, circId: number): string => `${circId}@${peer}`

/** Per-direction SENDME state (tor-spec §7.3–7.4 with prop 289 authentication). */
class FlowWindow {
  package: number
  deliver: number
  delivered = 0
  /** Digests of every `increment`-th cell we sent, awaiting their SENDME. */
  readonly expected: Uint8Array[] = []
  constructor (readonly window: number, readonly increment: number) {
    this.package = window
    this.deliver = window
  }
}

interface RelayStream { readonly kind: 'echo' | 'sink', received: number }


/** A circuit through this tab, as a relay. */
class RelayCircuit {
  readonly prev: Side
  next: Side | null = null
  extending = false
  /** An onward CREATE's CREATED, sent once the next hop has answered (docs/PROTOCOL.md §7 "Building with an onward header"). */
  heldCreated: Uint8Array | null = null
  cancelHold: (() => void) | null = null
  readonly crypto: RelayCircuitCrypto
  lastActivity: number
  readonly streams = new Map<number, RelayStream>()
  readonly flow: FlowWindow
  readonly echoBacklog: RelayCell[] = []
  /**
   * SENDMEs we owe the client but hold while echo data waits for window: the
   * client cannot send more than one window ahead of what we have echoed, so
   * the backlog stays within one window (tor-spec §7.3 back-pressure).
   */
  readonly heldSendmes: Uint8Array[] = []
  /** What this circuit is for when it ends here (rend-spec-v3): an introduction point, a waiting rendezvous cookie, or joined to another circuit. */
  introAuthId: string | null = null
  cookie: string | null = null
  joined: RelayCircuit | null = null
  /** A client circuit may carry one INTRODUCE1 (the client builds a new one for each). */
  introduced = false
  /** At an introduction point: INTRODUCE2s it may still pass on (control cells have no SENDME window). */
  introduceBucket: TokenBucket | null = null
  constructor (prev: Side, keys: Uint8Array, now: number, limits: RouterLimits, runningDigest: RunningDigestFactory) {
    this.prev = prev
    this.crypto = new RelayCircuitCrypto(keys, runningDigest)
    this.lastActivity = now
    this.flow = new FlowWindow(limits.circuitWindow, limits.sendmeIncrement)
  }
}

export type HopState = 'waiting' | 'extending' | 'open' | 'failed'

export interface BuildOptions {
  /** A service whose client chose this very tab as rendezvous point: the last hop may be this tab (docs/RENDEZVOUS.md §1). */
  lastHopMayBeSelf?: boolean
  /** Extend hop by hop with EXTEND cells even where an onward header could carry the path (tests; comparisons). */
  telescope?: boolean
}

export interface BuildProgress {
  readonly hop: number
  readonly state: HopState
}

/** A circuit this tab built, as a client. */
export class ClientCircuit {
  readonly crypto: ClientCircuitCrypto
  readonly hopStates: HopState[]
  state: 'building' | 'open' | 'closed' = 'building'
  closeReason: Error | null = null
  readonly flow: FlowWindow
  /** Handshakes sent and not yet answered, in hop order (one when telescoping, the whole path with an onward header). */
  private readonly pendingHandshakes: NtorClientState[] = []
  /** The hop a failed build is put down to ({@link awaitedHop} when it failed); null otherwise. */
  failedHop: number | null = null
  /** @internal A hop's handshake is being finished: its successor's reply must wait for its keys. */
  finishing = false
  /** @internal Relay cells that arrived while {@link finishing}, in order. */
  readonly heldCells: Uint8Array[] = []
  private readonly waiters: Array<{ resolve: () => void, reject: (e: Error) => void }> = []
  private readonly streams = new Map<number, { onData: (d: Uint8Array) => void, onEnd: (reason: number) => void }>()
  private nextStreamId = 1
  private readonly closeListeners: Array<(err: Error) => void> = []
  private windowWaiters: Array<() => void> = []
  private readonly controlListeners = new Set<(command: RelayCommand, data: Uint8Array) => void>()
  /** Relay cells sent and received on this circuit (for tests and the bench). */
  cellsSent = 0
  cellsReceived = 0

  constructor (
    private readonly router: OnionRouter,
    readonly first: Side,
    readonly path: readonly RelayInfo[],
    limits: RouterLimits
  ) {
    this.crypto = new ClientCircuitCrypto(router.runningDigest)
    this.hopStates = path.map(() => 'waiting')
    this.flow = new FlowWindow(limits.circuitWindow, limits.sendmeIncrement)
  }

  get lastHop (): number { return this.path.length - 1 }

  /** Call `listener` when the circuit closes; returns a function that removes it. */
  onClose (listener: (err: Error) => void): () => void {
    if (this.state === 'closed') {
      listener(this.closeReason!)
      return () => {}
    }
    this.closeListeners.push(listener)
    return () => {
      const i = this.closeListeners.indexOf(listener)
      if (i >= 0) this.closeListeners.splice(i, 1)
    }
  }

  /** @internal */ addPendingHandshake (s: NtorClientState): void { this.pendingHandshakes.push(s) }
  /** @internal */ takePendingHandshake (): NtorClientState | null { return this.pendingHandshakes.shift() ?? null }
  /** @internal */ waitStep (): Promise<void> {
    if (this.state === 'closed') return Promise.reject(this.closeReason)
    return new Promise((resolve, reject) => { this.waiters.push({ resolve, reject }) })
  }

  /** @internal After an await in a build: stop if the circuit closed meanwhile (link closed, build timer). */
  assertBuilding (): void {
    if (this.state === 'closed') throw this.closeReason ?? new CircuitClosedError(DestroyReason.NONE, 'circuit closed')
  }
  /** @internal */ stepDone (): void { this.waiters.shift()?.resolve() }

  /**
   * While building: the first hop whose reply has not arrived, the one a
   * failure is put down to. A reply being finished, or held, counts as
   * arrived: it came from beyond the hops already open.
   */
  get awaitedHop (): number {
    return Math.min(this.path.length - 1, this.crypto.length + (this.finishing ? 1 : 0) + this.heldCells.length)
  }

  /** @internal */ closed (err: Error): void {
    if (this.state === 'closed') return
    if (this.state === 'building') this.failedHop ??= this.awaitedHop
    this.state = 'closed'
    this.closeReason = err
    for (const h of this.hopStates.keys()) if (this.hopStates[h] !== 'open') this.hopStates[h] = 'failed'
    for (const w of this.waiters.splice(0)) w.reject(err)
    for (const s of this.streams.values()) s.onEnd(EndReason.DESTROY)
    this.streams.clear()
    for (const w of this.windowWaiters.splice(0)) w()
    this.crypto.wipe()
    for (const h of this.pendingHandshakes.splice(0)) { h.x.fill(0); h.xb?.fill(0) }
    this.heldCells.length = 0
    for (const l of this.closeListeners.splice(0)) l(err)
  }

  /** @internal */ deliver (streamId: number, cell: RelayCell): void {
    const s = this.streams.get(streamId)
    if (s == null) return
    if (cell.command === RelayCommand.DATA) s.onData(cell.data)
    else if (cell.command === RelayCommand.END) {
      this.streams.delete(streamId)
      s.onEnd(decodeEnd(cell.data))
    }
  }

  /** @internal */ control (command: RelayCommand, data: Uint8Array): void {
    if (this.controlListeners.size === 0) throw new ProtocolViolationError(`relay command ${command} not expected on this circuit`)
    for (const l of [...this.controlListeners]) l(command, data)
  }

  /** Listen for onion-service replies from the last hop (INTRODUCE2, RENDEZVOUS2, HSDIR_FOUND, …); returns an unsubscribe function. */
  onControl (listener: (command: RelayCommand, data: Uint8Array) => void): () => void {
    this.controlListeners.add(listener)
    return () => { this.controlListeners.delete(listener) }
  }

  /** Send an onion-service command (ESTABLISH_INTRO, INTRODUCE1, …) to the last hop, on stream 0. */
  sendControl (command: RelayCommand, data: Uint8Array): void {
    if (!RELAY_CONTROL_COMMANDS.has(command)) throw new RangeError(`sendControl: ${command} is not a control command`)
    if (this.state !== 'open') throw this.closeReason ?? new CircuitClosedError(DestroyReason.NONE, 'circuit is not open')
    this.router.sendRelay(this, this.lastHop, { command, streamId: 0, data })
  }

  /**
   * Send `command` and resolve with the data of the first `reply` from the
   * last hop; rejects when the circuit closes or after `timeoutMs`.
   */
  async request (command: RelayCommand, data: Uint8Array, reply: RelayCommand, timeoutMs = this.router.limits.controlTimeoutMs): Promise<Uint8Array> {
    let cleanup = (): void => {}
    try {
      return await new Promise<Uint8Array>((resolve, reject) => {
        const off = this.onControl((c, d) => { if (c === reply) resolve(d) })
        const offClose = this.onClose(reject)
        const cancel = this.router.timer(timeoutMs, () => { reject(new CircuitTimeoutError(`no answer to relay command ${command}`)) })
        cleanup = () => { off(); offClose(); cancel() }
        this.sendControl(command, data)
      })
    } finally {
      cleanup()
    }
  }

  /**
   * Receive DATA on `streamId` without a BEGIN: the stream of a joined
   * rendezvous circuit, which both ends use by convention (docs/RENDEZVOUS.md §5).
   */
  attachStream (streamId: number, onData: (d: Uint8Array) => void, onEnd: (reason: number) => void): void {
    if (streamId < 1 || streamId > 0xffff || this.streams.has(streamId)) throw new RangeError('attachStream: bad or used stream id')
    this.streams.set(streamId, { onData, onEnd })
    if (streamId >= this.nextStreamId) this.nextStreamId = streamId + 1
  }

  /** Keep an idle circuit alive: relays close circuits without RELAY cells after their idle timeout (PROTOCOL.md §7). */
  keepAlive (): void {
    if (this.state === 'open') this.router.sendRelay(this, this.lastHop, { command: RelayCommand.DROP, streamId: 0, data: new Uint8Array(0) })
  }

  /** @internal */ windowOpened (): void {
    for (const w of this.windowWaiters.splice(0)) w()
  }

  /** Open a stream to a built-in endpoint at the last hop. */
  openStream (target: string, onData: (d: Uint8Array) => void, onEnd: (reason: number) => void): number {
    if (this.state !== 'open') throw new CircuitClosedError(DestroyReason.NONE, 'circuit is not open')
    const streamId = this.nextStreamId++
    if (streamId > 0xffff) throw new CircuitLimitError('out of stream ids')
    this.streams.set(streamId, { onData, onEnd })
    this.router.sendRelay(this, this.lastHop, { command: RelayCommand.BEGIN, streamId, data: textEncoder.encode(target) })
    return streamId
  }

  /**
   * Send bytes on a stream, split into DATA cells; waits while the circuit's
   * package window is empty (tor-spec §7.3), so a fast sender cannot make
   * relays buffer without bound.
   */
  async write (streamId: number, data: Uint8Array): Promise<void> {
    for (let off = 0; off < data.length || (off === 0 && data.length === 0); off += RELAY_DATA_MAX) {
      while (this.state === 'open' && this.flow.package <= 0) await new Promise<void>(resolve => { this.windowWaiters.push(resolve) })
      if (this.state !== 'open') throw this.closeReason ?? new CircuitClosedError(DestroyReason.NONE, 'circuit closed')
      this.router.sendRelay(this, this.lastHop, { command: RelayCommand.DATA, streamId, data: data.subarray(off, off + RELAY_DATA_MAX) })
      if (data.length === 0) break
    }
  }

  endStream (streamId: number): void {
    if (this.state !== 'open') return
    this.router.sendRelay(this, this.lastHop, { command: RelayCommand.END, streamId, data: encodeEnd(EndReason.DONE) })
  }

  /**
   * Echo `data` through the circuit to the last hop and back; resolves with
   * the echoed bytes. Used by "Test circuit" and the benchmarks.
   */
  async echo (data: Uint8Array): Promise<Uint8Array> {
    const chunks: Uint8Array[] = []
    let got = 0
    let streamId = 0
    let unlisten = (): void => {}
    const done = new Promise<Uint8Array>((resolve, reject) => {
      streamId = this.openStream(ECHO_TARGET, (d) => {
        chunks.push(d)
        got += d.length
        if (got >= data.length) {
          const out = new Uint8Array(got)
          let o = 0
          for (const c of chunks) { out.set(c, o); o += c.length }
          resolve(out)
        }
      }, (reason) => { if (got < data.length) reject(new CircuitClosedError(DestroyReason.NONE, `echo stream ended (${reason})`)) })
      unlisten = this.onClose(reject)
    })
    try {
      await this.write(streamId, data)
      const out = await done
      this.endStream(streamId)
      return out
    } finally {
      unlisten()
    }
  }

  /**
   * Send `total` bytes to the sink at the last hop and wait until it confirms
   * the end of the transfer (bulk goodput through the circuit).
   */
  async sink (total: number): Promise<void> {
    let unlisten = (): void => {}
    let streamId = 0
    const done = new Promise<void>((resolve, reject) => {
      streamId = this.openStream(SINK_TARGET, () => {}, () => { resolve() })
      unlisten = this.onClose(reject)
    })
    try {
      const chunk = new Uint8Array(RELAY_DATA_MAX * SINK_CHUNK_CELLS)
      for (let sent = 0; sent < total; sent += chunk.length) await this.write(streamId, sent + chunk.length <= total ? chunk : chunk.subarray(0, total - sent))
      this.endStream(streamId)
      await done
    } finally {
      unlisten()
    }
  }

  /** Tear the circuit down (DESTROY to the first hop). */
  destroy (): void {
    this.router.destroyClient(this, DestroyReason.REQUESTED)
  }
}

export interface RouterStats {
  relayCircuits: number
  clientCircuits: number
  cellsRelayed: number
  protocolErrors: number
}

export class OnionRouter {
  readonly limits: RouterLimits
  private readonly byKey = new Map<string, { role: 'relay-prev' | 'relay-next', circ: RelayCircuit } | { role: 'client', circ: ClientCircuit }>()
  private readonly relayCircuits = new Set<RelayCircuit>()
  private readonly clientCircuits = new Set<ClientCircuit>()
  private readonly createBuckets = new Map<string, TokenBucket>()
  private cellsRelayed = 0
  private protocolErrors = 0
  private cancelSweep: (() => void) | null = null
  /** CREATEs whose handshake is being computed (keyOf(peer, circId)). */
  private readonly pendingCreates = new Set<string>()
  /** Onionskins made ahead for likely first hops, by relay peer id ({@link prepareOnionskin}). */
  private readonly preparedOnionskins = new Map<string, { relay: RelayInfo, skin: PendingOnionskin, at: number }>()
  private readonly dh: X25519Dh
  /** @internal The running-digest engine every circuit's relay crypto uses. */
  readonly runningDigest: RunningDigestFactory
  /** Introduction points served here, by auth id (hex). */
  private readonly introPoints = new Map<string, RelayCircuit>()
  /** Rendezvous cookies (hex) waiting for RENDEZVOUS1. */
  private readonly rendezvous = new Map<string, { circ: RelayCircuit, at: number }>()
  /** Client ephemerals X of onward CREATEs answered here (docs/PROTOCOL.md §7 "Building with an onward header"). */
  private readonly onwardReplays = new ReplayCache(ONWARD_REPLAY_CACHE_MAX)

  constructor (private readonly opts: RouterOptions) {
    this.limits = { ...DEFAULT_ROUTER_LIMITS, ...opts.limits }
    this.dh = opts.dh ?? nobleDh
    this.runningDigest = opts.runningDigest ?? nobleRunningDigest
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
    for (const { skin } of this.preparedOnionskins.values()) wipeOnionskin(skin)
    this.preparedOnionskins.clear()
    for (const c of [...this.clientCircuits]) this.destroyClient(c, DestroyReason.FINISHED)
    for (const c of [...this.relayCircuits]) this.destroyRelay(c, DestroyReason.FINISHED, null)
  }

  // ---- client ------------------------------------------------------------

  /**
   * Build a circuit through `path` (first hop first). Resolves when every hop
   * is open; rejects with a named error (timeout, closed, handshake) otherwise.
   */
  async buildCircuit (path: readonly RelayInfo[], onProgress?: (p: BuildProgress) => void, opts: BuildOptions = {}): Promise<ClientCircuit> {
    if (path.length === 0) throw new RangeError('buildCircuit: empty path')
    // A service whose client chose this very tab as the rendezvous point loops
    // back to itself through other relays, so the client cannot tell (docs/RENDEZVOUS.md §1).
    const mustNotBeSelf = opts.lastHopMayBeSelf === true && path.length > 1 ? path.slice(0, -1) : path
    if (mustNotBeSelf.some(h => h.peerId === this.opts.peerId)) throw new RangeError('buildCircuit: path contains this peer')
    if (new Set(path.map(h => h.peerId)).size !== path.length) throw new RangeError('buildCircuit: hops must be distinct')
    const firstPeer = path[0]!.peerId
    const report = (hop: number, state: HopState, circ: ClientCircuit): void => { circ.hopStates[hop] = state; onProgress?.({ hop, state }) }
    await this.opts.links.connect(firstPeer)
    // Checked after the await, so concurrent builds cannot all pass it.
    if (this.clientCircuits.size >= this.limits.maxClientCircuits) throw new CircuitLimitError('too many client circuits')
    const circ = new ClientCircuit(this, { peer: firstPeer, circId: this.newCircId(firstPeer) }, path, this.limits)
    this.clientCircuits.add(circ)
    this.byKey.set(keyOf(circ.first.peer, circ.first.circId), { role: 'client', circ })
    const cancel = this.opts.setTimer(this.limits.buildTimeoutMs, () => {
      if (circ.state === 'building') this.destroyClient(circ, DestroyReason.TIMEOUT, new CircuitTimeoutError('circuit build timed out'))
    })
    // Every hop's onionskin depends only on its descriptor: make them all now,
    // so that after each reply only the handshake's last X25519 is on the
    // critical path (the build is three round trips plus that).
    const onionskins = path.map(hop => this.takePreparedOnionskin(hop) ?? makeOnionskin(hop, this.opts.random, this.dh))
    for (const p of onionskins) p.catch(() => {}) // observed below, hop by hop
    try {
      if (path.length <= ONWARD_MAX_HOPS && opts.telescope !== true) await this.buildWithOnwardHeader(circ, path, onionskins, report)
      else await this.buildByTelescoping(circ, path, onionskins, report)
      circ.state = 'open'
      // The next build most likely starts at the same entry guard: have its
      // onionskin ready, off this build's critical path.
      this.prepareOnionskin(path[0]!)
      return circ
    } catch (err) {
      this.destroyClient(circ, DestroyReason.NONE, err as Error)
      // Which hop it failed at: the app avoids that relay, and counts it against a guard only at hop 0.
      if (circ.failedHop != null) report(circ.failedHop, 'failed', circ)
      // Wipe the secrets of hops never reached.
      for (const p of onionskins) wipeOnionskin(p)
      throw err
    } finally {
      cancel()
    }
  }

  /**
   * Telescoping (tor-spec §5.1, §5.1.2): CREATE to the first hop, then one
   * EXTEND through the circuit per further hop, each sent once the hop before
   * has answered.
   */
  private async buildByTelescoping (circ: ClientCircuit, path: readonly RelayInfo[], onionskins: PendingOnionskin[], report: (hop: number, state: HopState, circ: ClientCircuit) => void): Promise<void> {
    // Unused when telescoping.
    for (const p of onionskins) void p.then(({ onward }) => { onward.enc.fill(0); onward.mac.fill(0) }, () => {})
    report(0, 'extending', circ)
    const first = await onionskins[0]!
    circ.assertBuilding()
    circ.addPendingHandshake(first.state)
    const step0 = circ.waitStep()
    this.sendLink(circ.first.peer, { circId: circ.first.circId, msg: { command: LinkCommand.CREATE, htype: HandshakeType.NTOR, hdata: first.onionskin } })
    await this.stepWithTimeout(circ, 0, step0)
    report(0, 'open', circ)
    for (let i = 1; i < path.length; i++) {
      report(i, 'extending', circ)
      const hop = path[i]!
      const { state, onionskin } = await onionskins[i]!
      circ.assertBuilding()
      circ.addPendingHandshake(state)
      const step = circ.waitStep()
      const linkSpec = textEncoder.encode(hop.peerId)
      this.sendRelay(circ, i - 1, { command: RelayCommand.EXTEND, streamId: 0, data: encodeExtend({ linkSpec, nodeId: hop.nodeId, htype: HandshakeType.NTOR, hdata: onionskin }) })
      await this.stepWithTimeout(circ, i, step)
      report(i, 'open', circ)
    }
  }

  /**
   * Pipelined (docs/PROTOCOL.md §7 "Building with an onward header"): one CREATE whose onward header names
   * every further hop, sealed hop by hop (crypto/onward.ts). Each hop answers
   * its own ntor handshake, and at once sends the CREATE its slot holds; the
   * replies come back in path order, hop 0's as CREATED, the others' as
   * EXTENDED from the hop before, exactly as if each had been an EXTEND. One
   * path's round trip instead of one per hop.
   */
  private async buildWithOnwardHeader (circ: ClientCircuit, path: readonly RelayInfo[], onionskins: PendingOnionskin[], report: (hop: number, state: HopState, circ: ClientCircuit) => void): Promise<void> {
    for (let i = 0; i < path.length; i++) report(i, 'extending', circ)
    const skins = await Promise.all(onionskins)
    circ.assertBuilding()
    const hops = skins.map(({ onward, onionskin }, i) => ({ keys: onward, linkSpec: textEncoder.encode(path[i]!.peerId), onionskin }))
    const header = sealOnwardHeader(hops, this.opts.random)
    for (const { keys } of hops) { keys.enc.fill(0); keys.mac.fill(0) }
    const steps = path.map(() => circ.waitStep())
    for (const step of steps) step.catch(() => {}) // each is awaited below, in turn
    for (const { state } of skins) circ.addPendingHandshake(state)
    this.sendLink(circ.first.peer, { circId: circ.first.circId, msg: { command: LinkCommand.CREATE, htype: HandshakeType.NTOR_ONWARD, hdata: joinOnwardHdata(skins[0]!.onionskin, header) } })
    for (let i = 0; i < path.length; i++) {
      await this.stepWithTimeout(circ, i, steps[i]!)
      report(i, 'open', circ)
    }
  }

  /**
   * Make an onionskin for `relay` ahead of a build through it, so that
   * build's CREATE goes out at once (an onward CREATE needs every hop's). At most
   * {@link MAX_PREPARED_ONIONSKINS}, one per relay; the oldest is wiped to
   * make room. Each is used once, like any ephemeral (tor-spec §5.1.4).
   */
  prepareOnionskin (relay: RelayInfo): void {
    if (this.preparedOnionskins.has(relay.peerId)) return
    if (this.preparedOnionskins.size >= MAX_PREPARED_ONIONSKINS) {
      const [oldest] = this.preparedOnionskins.keys()
      wipeOnionskin(this.preparedOnionskins.get(oldest!)!.skin)
      this.preparedOnionskins.delete(oldest!)
    }
    const skin = makeOnionskin(relay, this.opts.random, this.dh)
    skin.catch(() => {})
    this.preparedOnionskins.set(relay.peerId, { relay, skin, at: this.opts.now() })
  }

  /** The prepared onionskin for `relay`, if one was made for the same keys; taken, so it is never used twice. */
  private takePreparedOnionskin (relay: RelayInfo): PendingOnionskin | null {
    const ready = this.preparedOnionskins.get(relay.peerId)
    if (ready == null) return null
    this.preparedOnionskins.delete(relay.peerId)
    // A relay whose descriptor changed (a new onion key) needs a new onionskin;
    // so does one kept too long.
    if (!equalBytes(ready.relay.onionKey, relay.onionKey) || !equalBytes(ready.relay.nodeId, relay.nodeId) ||
        this.opts.now() - ready.at > PREPARED_ONIONSKIN_TTL_MS) {
      wipeOnionskin(ready.skin)
      return null
    }
    // One that failed to compute is replaced by a fresh one rather than failing the build.
    return ready.skin.catch(async () => await makeOnionskin(relay, this.opts.random, this.dh))
  }

  /**
   * Wait for one hop's CREATED/EXTENDED, at most `hopTimeoutMs`: a hop that
   * left without its channel closing yet (a closed tab whose WebRTC close has
   * not arrived) would otherwise hold the build for the whole build timeout.
   * Tor bounds builds the same way with its learned circuit build timeout
   * (path-spec §2.4); a fixed, generous bound serves tabs.
   */
  private async stepWithTimeout (circ: ClientCircuit, hop: number, step: Promise<void>): Promise<void> {
    const cancel = this.opts.setTimer(this.limits.hopTimeoutMs, () => {
      if (circ.state === 'building') this.destroyClient(circ, DestroyReason.TIMEOUT, new CircuitTimeoutError(`hop ${hop} did not answer in time`))
    })
    try {
      await step
    } finally {
      cancel()
    }
  }

  /** @internal Encrypt and send one relay cell to hop `target` of a client circuit. */
  sendRelay (circ: ClientCircuit, target: number, cell: RelayCell): void {
    const wire = newRelayWire(circ.first.circId)
    const body = encodeRelayBody(cell, this.opts.random, wire.subarray(CELL_HEADER_LEN))
    circ.crypto.encryptOutbound(body, target)
    if (cell.command === RelayCommand.DATA) {
      circ.flow.package--
      const sent = ++circ.cellsSent
      if (sent % circ.flow.increment === 0) circ.flow.expected.push(circ.crypto.lastOutboundDigest(target))
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

  /** Complete a hop's handshake (CREATED or EXTENDED), then let the build go on. */
  private finishHop (circ: ClientCircuit, pending: NtorClientState, reply: Uint8Array): void {
    circ.finishing = true
    ntorClientFinishWith(pending, reply, this.dh).then((keys) => {
      circ.finishing = false
      if (circ.state === 'closed') { keys.fill(0); return }
      circ.crypto.addHop(keys)
      circ.stepDone()
      this.releaseHeldCells(circ)
    }, (err: unknown) => {
      circ.finishing = false
      this.countError(err)
      circ.failedHop ??= circ.crypto.length // this hop's own reply failed, whatever is held behind it
      this.destroyClient(circ, DestroyReason.PROTOCOL, err as Error)
    })
  }

  /**
   * A pipelined build's next EXTENDED can arrive while the previous hop's
   * handshake is still being finished; it is held until that hop's keys can
   * peel it, then handled in order.
   */
  private holdCell (circ: ClientCircuit, body: Uint8Array): void {
    if (circ.heldCells.length >= ONWARD_MAX_HOPS) throw new ProtocolViolationError('too many relay cells during a handshake')
    circ.heldCells.push(body)
  }

  private releaseHeldCells (circ: ClientCircuit): void {
    while (!circ.finishing && circ.state !== 'closed' && circ.heldCells.length > 0) {
      const body = circ.heldCells.shift()!
      try {
        this.onClientRelay(circ, body)
      } catch (err) {
        if (circ.state === 'building') circ.failedHop ??= circ.crypto.length // the reply that failed, not the ones held behind it
        this.onError(circ.first.peer, circ.first.circId, err)
      }
    }
  }

  private onClientRelay (circ: ClientCircuit, body: Uint8Array): void {
    const hop = circ.crypto.decryptInbound(body) // DigestMismatchError → caught by handleCell
    const cell = decodeRelayBody(body)
    circ.cellsReceived++
    // Stream cells come only from the hop the streams live at; a middle relay
    // must not inject data into or end a stream.
    if (cell.streamId !== 0 && hop !== circ.lastHop) throw new ProtocolViolationError('stream cell from a hop other than the last')
    switch (cell.command) {
      case RelayCommand.EXTENDED: {
        const pending = circ.takePendingHandshake()
        if (pending == null || hop !== circ.crypto.length - 1) throw new ProtocolViolationError('unexpected EXTENDED')
        this.finishHop(circ, pending, decodeExtended(cell.data))
        return
      }
      case RelayCommand.DATA:
        this.countDelivered(circ.flow, () => {
          this.sendRelay(circ, hop, { command: RelayCommand.SENDME, streamId: 0, data: encodeSendme(circ.crypto.lastInboundDigest(hop)) })
        })
        circ.deliver(cell.streamId, cell)
        return
      case RelayCommand.END:
      case RelayCommand.CONNECTED:
        circ.deliver(cell.streamId, cell)
        return
      case RelayCommand.SENDME:
        this.acceptSendme(circ.flow, decodeSendme(cell.data))
        circ.windowOpened()
        return
      case RelayCommand.TRUNCATED:
        throw new CircuitClosedError(DestroyReason.DESTROYED, 'circuit truncated')
      case RelayCommand.DROP:
        return
      default:
        if (CLIENT_CONTROL_COMMANDS.has(cell.command) && cell.streamId === 0 && hop === circ.lastHop && circ.state === 'open') {
          circ.control(cell.command, cell.data)
          return
        }
        throw new ProtocolViolationError(`relay command ${cell.command} not expected by a client`)
    }
  }

  // ---- relay -------------------------------------------------------------

  private onCreate (from: string, circId: number, htype: number, hdata: Uint8Array): void {
    const now = this.opts.now()
    let bucket = this.createBuckets.get(from)
    if (bucket == null) {
      bucket = new TokenBucket({ ratePerSecond: this.limits.createRatePerSecond, burst: this.limits.createBurst, clock: { now: this.opts.now } })
      this.createBuckets.set(from, bucket)
    }
    if (this.relayCircuits.size >= this.limits.maxRelayCircuits || !bucket.tryTake()) {
      this.sendDestroy({ peer: from, circId }, DestroyReason.RESOURCELIMIT)
      return
    }
    if (htype !== HandshakeType.NTOR && htype !== HandshakeType.NTOR_ONWARD) throw new ProtocolViolationError('unknown handshake type')
    const onward = htype === HandshakeType.NTOR_ONWARD ? splitOnwardHdata(hdata) : null
    const key = keyOf(from, circId)
    this.pendingCreates.add(key)
    let sealKeys: OnwardKeys | null = null
    const withXb = onward == null ? undefined : (xb: Uint8Array, mine: NtorPublicKey, X: Uint8Array): void => { sealKeys = onwardKeys(xb, mine.nodeId, mine.onionKey, X) }
    ntorServerRespondWith(this.opts.onionKeys, onward?.onionskin ?? hdata, this.opts.random, this.dh, undefined, withXb).then(({ reply, keys }) => {
      // Gone meanwhile (DESTROY, link closed, shutdown): forget it.
      if (!this.pendingCreates.delete(key) || !this.opts.links.has(from) || this.relayCircuits.size >= this.limits.maxRelayCircuits) {
        keys.fill(0)
        if (sealKeys != null) { sealKeys.enc.fill(0); sealKeys.mac.fill(0) }
        return
      }
      // With an onward header: where to extend next, checked before anything is set up.
      let next: { peer: string, hdata: Uint8Array } | null = null
      if (onward != null) {
        try {
          next = this.openOnward(sealKeys!, onward, from)
        } catch (err) {
          keys.fill(0)
          this.onError(from, circId, err)
          return
        } finally {
          sealKeys!.enc.fill(0); sealKeys!.mac.fill(0)
        }
      }
      const circ = new RelayCircuit({ peer: from, circId }, keys, now, this.limits, this.runningDigest)
      keys.fill(0)
      this.relayCircuits.add(circ)
      this.byKey.set(key, { role: 'relay-prev', circ })
      this.opts.onEvent?.({ type: 'relay-circuit-opened' })
      if (next == null) {
        this.sendLink(from, { circId, msg: { command: LinkCommand.CREATED, hdata: reply } })
      } else {
        // Send on first; answer when the next hop has (onRelayCreated), so the
        // replies travel back together, in one message per link, instead of
        // this CREATED competing with the CREATE going forward (PROTOCOL.md §7 "Building with an onward header").
        circ.heldCreated = reply
        // Not for longer than ONWARD_HOLD_MS: a next hop that is slow to reach
        // (a fresh connection) or silent (a closed tab) must not look, to the
        // client, like this hop failing (guard-spec §4.8 counts only failures
        // at the guard itself against it).
        circ.cancelHold = this.opts.setTimer(ONWARD_HOLD_MS, () => { this.releaseCreated(circ) })
        this.extendTo(circ, next.peer, HandshakeType.NTOR_ONWARD, next.hdata)
      }
    }, (err: unknown) => {
      this.pendingCreates.delete(key)
      this.onError(from, circId, err)
    })
  }

  private onRelayOutbound (circ: RelayCircuit, body: Uint8Array, wire: Uint8Array): void {
    circ.lastActivity = this.opts.now()
    if (!circ.crypto.decryptOutbound(body)) {
      // Not for us: forward to the next hop, or it is garbage (tor-spec §6.1).
      if (circ.next == null) throw new ProtocolViolationError('unrecognized relay cell at the last hop')
      this.cellsRelayed++
      this.forwardInPlace(wire, circ.next)
      return
    }
    const cell = decodeRelayBody(body)
    switch (cell.command) {
      case RelayCommand.EXTEND:
        this.onExtend(circ, cell)
        return
      case RelayCommand.BEGIN: {
        const target = textDecoder.decode(cell.data)
        if (cell.streamId === 0 || circ.streams.has(cell.streamId)) throw new ProtocolViolationError('bad stream id in BEGIN')
        if (target !== ECHO_TARGET && target !== SINK_TARGET) {
          this.originate(circ, { command: RelayCommand.END, streamId: cell.streamId, data: encodeEnd(EndReason.MISC) })
          return
        }
        circ.streams.set(cell.streamId, { kind: target, received: 0 })
        this.originate(circ, { command: RelayCommand.CONNECTED, streamId: cell.streamId, data: new Uint8Array(0) })
        return
      }
      case RelayCommand.DATA: {
        // Where data from this circuit goes back out: the joined circuit at a
        // rendezvous point, else this one (echo).
        const outlet = circ.joined ?? circ
        this.countDelivered(circ.flow, () => {
          const digest = circ.crypto.lastOutboundDigest()
          if (outlet.echoBacklog.length > 0 || circ.heldSendmes.length > 0) circ.heldSendmes.push(digest)
          else this.originate(circ, { command: RelayCommand.SENDME, streamId: 0, data: encodeSendme(digest) })
        })
        if (circ.joined != null) {
          // Rendezvous point: relay the end-to-end frame onto the other circuit (docs/RENDEZVOUS.md §5).
          if (cell.streamId === 0) throw new ProtocolViolationError('DATA on stream 0')
          this.cellsRelayed++
          outlet.lastActivity = circ.lastActivity // a one-sided conversation keeps both circuits alive
          this.sendOrQueue(outlet, { command: RelayCommand.DATA, streamId: cell.streamId, data: cell.data })
          return
        }
        const stream = circ.streams.get(cell.streamId)
        if (stream == null) return // stream closed already: drop, as Tor does for late data
        stream.received += cell.data.length
        if (stream.kind === 'echo') this.sendOrQueue(circ, { command: RelayCommand.DATA, streamId: cell.streamId, data: cell.data })
        return
      }
      case RelayCommand.END: {
        const stream = circ.streams.get(cell.streamId)
        circ.streams.delete(cell.streamId)
        // The sink acknowledges the end of a bulk transfer with the byte count.
        if (stream?.kind === 'sink') this.originate(circ, { command: RelayCommand.END, streamId: cell.streamId, data: encodeEnd(EndReason.DONE) })
        return
      }
      case RelayCommand.SENDME: {
        this.acceptSendme(circ.flow, decodeSendme(cell.data))
        while (circ.flow.package > 0 && circ.echoBacklog.length > 0) this.originate(circ, circ.echoBacklog.shift()!)
        // The SENDMEs held back are owed to the circuit whose data filled this backlog.
        const source = circ.joined ?? circ
        if (circ.echoBacklog.length === 0) {
          for (const digest of source.heldSendmes.splice(0)) this.originate(source, { command: RelayCommand.SENDME, streamId: 0, data: encodeSendme(digest) })
        }
        return
      }
      case RelayCommand.DROP:
        return
      case RelayCommand.ESTABLISH_INTRO:
      case RelayCommand.INTRODUCE1:
      case RelayCommand.ESTABLISH_RENDEZVOUS:
      case RelayCommand.RENDEZVOUS1:
      case RelayCommand.HSDIR_STORE:
      case RelayCommand.HSDIR_FETCH:
        if (cell.streamId !== 0) throw new ProtocolViolationError('onion-service command on a stream')
        this.onServiceCommand(circ, cell)
        return
      case RelayCommand.TRUNCATE:
        if (circ.next != null) {
          this.byKey.delete(keyOf(circ.next.peer, circ.next.circId))
          this.sendDestroy(circ.next, DestroyReason.REQUESTED)
          circ.next = null
        }
        this.originate(circ, { command: RelayCommand.TRUNCATED, streamId: 0, data: Uint8Array.of(DestroyReason.REQUESTED) })
        return
      default:
        throw new ProtocolViolationError(`relay command ${cell.command} not expected by a relay`)
    }
  }

  private onExtend (circ: RelayCircuit, cell: RelayCell): void {
    if (circ.next != null || circ.extending) throw new ProtocolViolationError('EXTEND on a circuit that already extends')
    const ext = decodeExtend(cell.data)
    const nextPeer = this.nextPeerOf(ext.linkSpec, circ.prev.peer)
    this.extendTo(circ, nextPeer, ext.htype, ext.hdata)
  }

  /** The peer a link specifier names; never this tab or the hop it came from. */
  private nextPeerOf (linkSpec: Uint8Array, prev: string): string {
    let nextPeer: string
    try {
      nextPeer = new TextDecoder('utf-8', { fatal: true }).decode(linkSpec)
    } catch {
      throw new ProtocolViolationError('EXTEND: link specifier is not a peer id')
    }
    if (nextPeer === this.opts.peerId || nextPeer === prev) throw new ProtocolViolationError('EXTEND back to self or predecessor')
    return nextPeer
  }

  /**
   * An onward CREATE's header: check it (MAC, replay), and return the CREATE
   * this hop must send on, or null at the last hop (docs/PROTOCOL.md §7 "Building with an onward header").
   */
  private openOnward (keys: OnwardKeys, onward: { onionskin: Uint8Array, blob: Uint8Array, mac: Uint8Array }, from: string): { peer: string, hdata: Uint8Array } | null {
    const step = openOnwardHeader(keys, onward.blob, onward.mac)
    // Only after the MAC: a forged header cannot fill the cache. The value kept
    // is the client's ephemeral X, fresh per hop per build.
    if (!this.onwardReplays.checkAndAdd(onward.onionskin.subarray(onward.onionskin.length - 32))) throw new ReplayError('handshake replayed')
    if (step.kind === 'last') return null
    return { peer: this.nextPeerOf(step.linkSpec, from), hdata: step.hdata }
  }

  /** Send a CREATE for `circ` to the next hop, opening a link to it first if needed. */
  private extendTo (circ: RelayCircuit, nextPeer: string, htype: HandshakeType, hdata: Uint8Array): void {
    circ.extending = true
    // Open a channel to the next hop if needed (a fresh WebRTC connection in net).
    this.opts.links.connect(nextPeer).then(() => {
      if (!this.relayCircuits.has(circ)) return
      const next = { peer: nextPeer, circId: this.newCircId(nextPeer) }
      circ.next = next
      this.byKey.set(keyOf(next.peer, next.circId), { role: 'relay-next', circ })
      this.sendLink(next.peer, { circId: next.circId, msg: { command: LinkCommand.CREATE, htype, hdata } })
    }, () => {
      if (this.relayCircuits.has(circ)) this.destroyRelay(circ, DestroyReason.CONNECTFAILED, null)
    })
  }

  /**
   * Send DATA this hop originates on `circ` (echo, or a rendezvous point
   * relaying between joined circuits), or queue it while the package window is
   * empty. The queue holds one window at most: the sender's SENDMEs are held
   * meanwhile (tor-spec §7.3 back-pressure), so more means it ignored flow control.
   */
  private sendOrQueue (circ: RelayCircuit, cell: RelayCell): void {
    if (circ.flow.package > 0 && circ.echoBacklog.length === 0) this.originate(circ, cell)
    else if (circ.echoBacklog.length < this.limits.circuitWindow) circ.echoBacklog.push(cell)
    else throw new ProtocolViolationError('peer ignored flow control')
  }

  /**
   * The onion-service roles of a relay (rend-spec-v3 §3–4, docs/RENDEZVOUS.md
   * §5): introduction point, rendezvous point, HSDir. Only as the last hop of
   * the circuit, and once per circuit.
   */
  private onServiceCommand (circ: RelayCircuit, cell: RelayCell): void {
    if (circ.next != null || circ.extending) throw new ProtocolViolationError('onion-service command to a middle hop')
    const settled = circ.introAuthId != null || circ.cookie != null || circ.joined != null
    switch (cell.command) {
      case RelayCommand.ESTABLISH_INTRO: {
        // rend-spec-v3 §3.1.1; the auth key is a random id here (docs/RENDEZVOUS.md §5).
        const authId = toHex(decodeEstablishIntro(cell.data))
        if (settled || this.introPoints.has(authId)) throw new ProtocolViolationError('ESTABLISH_INTRO on a used circuit or for a used id')
        if (this.introPoints.size >= this.limits.maxIntroPoints) throw new CircuitLimitError('too many introduction points')
        circ.introAuthId = authId
        circ.introduceBucket = new TokenBucket({ ratePerSecond: this.limits.introduceRatePerSecond, burst: this.limits.introduceBurst, clock: { now: this.opts.now } })
        this.introPoints.set(authId, circ)
        this.originate(circ, { command: RelayCommand.INTRO_ESTABLISHED, streamId: 0, data: new Uint8Array(0) })
        return
      }
      case RelayCommand.INTRODUCE1: {
        // rend-spec-v3 §3.2: pass it on as INTRODUCE2, unchanged, and acknowledge.
        if (settled || circ.introduced) throw new ProtocolViolationError('INTRODUCE1 on a service circuit or a second time')
        circ.introduced = true
        const status = this.introduce(cell.data)
        this.originate(circ, { command: RelayCommand.INTRODUCE_ACK, streamId: 0, data: encodeStatus(status) })
        return
      }
      case RelayCommand.ESTABLISH_RENDEZVOUS: {
        // rend-spec-v3 §3.3.
        const cookie = toHex(decodeEstablishRendezvous(cell.data))
        if (settled || this.rendezvous.has(cookie)) throw new ProtocolViolationError('ESTABLISH_RENDEZVOUS on a used circuit or for a used cookie')
        if (this.rendezvous.size >= this.limits.maxPendingRendezvous) throw new CircuitLimitError('too many pending rendezvous')
        circ.cookie = cookie
        this.rendezvous.set(cookie, { circ, at: this.opts.now() })
        this.originate(circ, { command: RelayCommand.RENDEZVOUS_ESTABLISHED, streamId: 0, data: new Uint8Array(0) })
        return
      }
      case RelayCommand.RENDEZVOUS1: {
        // rend-spec-v3 §4.2: RENDEZVOUS2 to the waiting client, then join the two.
        const { cookie: raw, reply } = decodeRendezvous1(cell.data)
        const cookie = toHex(raw)
        const waiting = this.rendezvous.get(cookie)
        const fresh = waiting != null && this.opts.now() - waiting.at <= this.limits.rendezvousTimeoutMs
        if (settled || waiting == null || !fresh || waiting.circ === circ || !this.relayCircuits.has(waiting.circ)) throw new ProtocolViolationError('RENDEZVOUS1 for no waiting cookie')
        this.rendezvous.delete(cookie)
        const client = waiting.circ
        client.cookie = null
        client.joined = circ
        circ.joined = client
        this.originate(client, { command: RelayCommand.RENDEZVOUS2, streamId: 0, data: reply })
        return
      }
      case RelayCommand.HSDIR_STORE: {
        let status: number = ControlStatus.REFUSED
        try {
          if (this.opts.hsdir?.store(cell.data) === true) status = ControlStatus.OK
        } catch (err) {
          if (!isProtocolError(err)) throw err
          this.countError(err) // a bad descriptor: refused, the circuit stays
        }
        this.originate(circ, { command: RelayCommand.HSDIR_STORED, streamId: 0, data: encodeStatus(status) })
        return
      }
      case RelayCommand.HSDIR_FETCH: {
        const descId = decodeHsdirFetch(cell.data)
        const found = this.opts.hsdir?.fetch(descId) ?? []
        if (found.length === 0) this.originate(circ, { command: RelayCommand.HSDIR_FOUND, streamId: 0, data: encodeHsdirFound({ more: false, descriptor: null }) })
        found.forEach((descriptor, i) => {
          this.originate(circ, { command: RelayCommand.HSDIR_FOUND, streamId: 0, data: encodeHsdirFound({ more: i < found.length - 1, descriptor }) })
        })
        return
      }
      default:
        throw new ProtocolViolationError(`relay command ${cell.command} not expected by a relay`)
    }
  }

  /**
   * Hand an INTRODUCE1 body to the service circuit registered for its auth id
   * as INTRODUCE2; the status for INTRODUCE_ACK. Also used when this tab is
   * itself the introduction point a local client picked.
   */
  introduce (data: Uint8Array): number {
    const { authId } = decodeIntroduce1(data)
    const service = this.introPoints.get(toHex(authId))
    if (service == null || !this.relayCircuits.has(service)) return ControlStatus.REFUSED
    // A flood must not fill the service's link queue (which would destroy its circuit).
    if (service.introduceBucket?.tryTake() === false) return ControlStatus.REFUSED
    this.originate(service, { command: RelayCommand.INTRODUCE2, streamId: 0, data })
    return ControlStatus.OK
  }

  private onRelayCreated (circ: RelayCircuit, hdata: Uint8Array): void {
    if (!circ.extending) throw new ProtocolViolationError('unexpected CREATED')
    circ.extending = false
    this.releaseCreated(circ)
    this.originate(circ, { command: RelayCommand.EXTENDED, streamId: 0, data: encodeExtended(hdata) })
  }

  private onRelayInbound (circ: RelayCircuit, body: Uint8Array, cell: Uint8Array): void {
    circ.lastActivity = this.opts.now()
    circ.crypto.forwardInbound(body)
    this.cellsRelayed++
    this.forwardInPlace(cell, circ.prev)
  }

  /** Re-label a RELAY cell with the other side's circuit id and send the same buffer on. */
  private forwardInPlace (cell: Uint8Array, to: Side): void {
    writeU32(cell, 0, to.circId)
    try {
      this.opts.links.send(to.peer, cell)
    } catch (err) {
      if (isProtocolError(err, 'queue-full')) queueMicrotaskSafe(() => { this.handleLinkQueueFull(to.peer, to.circId) })
    }
  }

  /** A relay cell this hop originates toward the client. */
  private originate (circ: RelayCircuit, cell: RelayCell): void {
    const wire = newRelayWire(circ.prev.circId)
    const body = encodeRelayBody(cell, this.opts.random, wire.subarray(CELL_HEADER_LEN))
    circ.crypto.originateInbound(body)
    if (cell.command === RelayCommand.DATA) {
      circ.flow.package--
      if ((circ.flow.window - circ.flow.package) % circ.flow.increment === 0) circ.flow.expected.push(circ.crypto.lastInboundDigest())
    }
    this.forwardInPlace(wire, circ.prev)
  }

  /** Send an onward CREATE's held CREATED now, if it is still held. */
  private releaseCreated (circ: RelayCircuit): void {
    circ.cancelHold?.()
    circ.cancelHold = null
    const reply = circ.heldCreated
    if (reply == null) return
    circ.heldCreated = null
    if (this.relayCircuits.has(circ)) this.sendLink(circ.prev.peer, { circId: circ.prev.circId, msg: { command: LinkCommand.CREATED, hdata: reply } })
  }

  private destroyRelay (circ: RelayCircuit, reason: DestroyReason, from: string | null): void {
    // This hop did answer: say so before the DESTROY, so the client sees
    // that the failure lies beyond it.
    if (from !== 'prev') this.releaseCreated(circ)
    else { circ.cancelHold?.(); circ.heldCreated = null }
    if (!this.relayCircuits.delete(circ)) return
    if (circ.introAuthId != null && this.introPoints.get(circ.introAuthId) === circ) this.introPoints.delete(circ.introAuthId)
    if (circ.cookie != null && this.rendezvous.get(circ.cookie)?.circ === circ) this.rendezvous.delete(circ.cookie)
    // Joined circuits live and die together (rend-spec-v3 §4.2).
    const joined = circ.joined
    circ.joined = null
    if (joined != null) { joined.joined = null; this.destroyRelay(joined, reason, null) }
    this.byKey.delete(keyOf(circ.prev.peer, circ.prev.circId))
    if (circ.next != null) this.byKey.delete(keyOf(circ.next.peer, circ.next.circId))
    // DESTROY both ways, except back to where it came from (tor-spec §5.4).
    if (from !== 'prev' && this.opts.links.has(circ.prev.peer)) this.sendDestroy(circ.prev, reason)
    if (from !== 'next' && circ.next != null && this.opts.links.has(circ.next.peer)) this.sendDestroy(circ.next, reason)
    circ.crypto.wipe()
    this.opts.onEvent?.({ type: 'relay-circuit-closed', reason })
  }

  // ---- flow control ------------------------------------------------------

  private countDelivered (flow: FlowWindow, sendSendme: () => void): void {
    flow.deliver--
    if (flow.deliver < 0) throw new ProtocolViolationError('peer exceeded the circuit window (tor-spec §7.3)')
    if (++flow.delivered % flow.increment === 0) {
      flow.deliver += flow.increment
      sendSendme()
    }
  }

  private acceptSendme (flow: FlowWindow, digest: Uint8Array): void {
    // prop 289: the SENDME must carry the digest of the cell that triggered it.
    const expected = flow.expected.shift()
    if (expected == null || !equalBytes(expected, digest)) throw new ProtocolViolationError('unauthenticated or unexpected SENDME')
    flow.package += flow.increment
    if (flow.package > flow.window) throw new ProtocolViolationError('SENDME overflowed the window')
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
          if (entry.circ.finishing) this.holdCell(entry.circ, body)
          else this.onClientRelay(entry.circ, body)
        }
        else if (entry.role === 'relay-prev') this.onRelayOutbound(entry.circ, body, bytes)
        else this.onRelayInbound(entry.circ, body, bytes)
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
        this.destroyRelay(entry.circ, DestroyReason.CHANNEL_CLOSED, entry.role === 'relay-prev' ? 'prev' : 'next')
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
        this.onCreate(from, circId, msg.htype, msg.hdata)
        return
      case LinkCommand.CREATED:
        if (entry?.role === 'client') {
          const pending = entry.circ.takePendingHandshake()
          if (pending == null || entry.circ.crypto.length !== 0) throw new ProtocolViolationError('unexpected CREATED')
          this.finishHop(entry.circ, pending, msg.hdata)
        } else if (entry?.role === 'relay-next') {
          this.onRelayCreated(entry.circ, msg.hdata)
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
        else this.destroyRelay(entry.circ, msg.reason, entry.role === 'relay-prev' ? 'prev' : 'next')
    }
  }

  private countError (err: unknown): void {
    if (isProtocolError(err)) {
      this.protocolErrors++
      this.opts.onEvent?.({ type: 'protocol-error', kind: err.kind })
    }
  }

  private onError (from: string, circId: number, err: unknown): void {
    if (!(err instanceof Error)) return
    this.countError(err)
    const entry = this.byKey.get(keyOf(from, circId))
    if (entry?.role === 'client') {
      this.destroyClient(entry.circ, DestroyReason.PROTOCOL, err)
    } else if (entry != null) {
      this.destroyRelay(entry.circ, DestroyReason.PROTOCOL, null)
    } else if (circId !== 0 && this.opts.links.has(from)) {
      // A bad CREATE or a cell for no circuit: refuse that circuit id only.
      this.sendDestroy({ peer: from, circId }, DestroyReason.PROTOCOL)
    }
  }

  private sendDestroy (side: Side, reason: DestroyReason): void {
    this.sendLink(side.peer, { circId: side.circId, msg: { command: LinkCommand.DESTROY, reason } })
  }

  private sendLink (peer: string, cell: LinkCell): void {
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
    else if (entry != null) this.destroyRelay(entry.circ, DestroyReason.RESOURCELIMIT, null)
  }

  /** A random circuit id unused on the link to `peer` (tor-spec §5.1.1: ids are per link). */
  private newCircId (peer: string): number {
    for (;;) {
      const id = readU32(this.opts.random(4), 0)
      if (id !== 0 && id <= MAX_CIRC_ID && !this.byKey.has(keyOf(peer, id))) return id
    }
  }

  private scheduleSweep (): void {
    const period = Math.max(1_000, Math.floor(Math.min(this.limits.idleCircuitMs / 4, this.limits.rendezvousTimeoutMs / 2)))
    this.cancelSweep = this.opts.setTimer(period, () => {
      const now = this.opts.now()
      for (const c of [...this.relayCircuits]) if (now - c.lastActivity > this.limits.idleCircuitMs) this.destroyRelay(c, DestroyReason.FINISHED, null)
      for (const { circ, at } of [...this.rendezvous.values()]) if (now - at > this.limits.rendezvousTimeoutMs) this.destroyRelay(circ, DestroyReason.TIMEOUT, null)
      // A neighbour's CREATE budget outlives its channel (reconnecting must not
      // refill it); forget it only once it is gone and its bucket is full again.
      for (const [p, b] of this.createBuckets) if (!this.opts.links.has(p) && b.available() >= b.burst) this.createBuckets.delete(p)
      this.scheduleSweep()
    })
  }
}

/**
 * A RELAY cell's wire buffer with its header written (circuit id, command):
 * the relay body is encoded and encrypted in place in the rest, so sending a
 * relay cell allocates one buffer and copies nothing (encodeCell would copy
 * the body into a second one).
 */
function newRelayWire (circId: number): Uint8Array {
  const wire = new Uint8Array(CELL_SIZE)
  writeU32(wire, 0, circId)
  wire[CIRC_ID_LEN] = LinkCommand.RELAY
  return wire
}

/** A client onionskin being made (ntorClientCreateWith), with the state that finishes its handshake. */
/** An onionskin in the making, with its hop's onward-header keys (crypto/onward.ts), which depend on nothing else. */
type PendingOnionskin = Promise<{ state: NtorClientState, onionskin: Uint8Array, onward: OnwardKeys }>

/** ntorClientCreateWith, plus the onward keys from its EXP(B,x), computed here, off a build's critical path. */
async function makeOnionskin (relay: RelayInfo, random: RandomSource, dh: X25519Dh): PendingOnionskin {
  const { state, onionskin } = await ntorClientCreateWith(relay, random, dh)
  state.xb ??= await dh.shared(state.x, relay.onionKey) // EXP(B,x)
  return { state, onionskin, onward: onwardKeys(state.xb, relay.nodeId, relay.onionKey, state.X) }
}

/** Zero an onionskin's secrets once it is known, unless a handshake used (and wiped) them. */
function wipeOnionskin (skin: PendingOnionskin): void {
  void skin.then(({ state, onward }) => {
    onward.enc.fill(0); onward.mac.fill(0)
    if (!state.used) { state.x.fill(0); state.xb?.fill(0) }
  }, () => {})
}

function equalBytes (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let d = 0
  for (let i = 0; i < a.length; i++) d |= (a[i] as number) ^ (b[i] as number)
  return d === 0
}

function queueMicrotaskSafe (fn: () => void): void {
  void Promise.resolve().then(fn)
}

export { CELL_SIZE, RELAY_BODY_LEN }
