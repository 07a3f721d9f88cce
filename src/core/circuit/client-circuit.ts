/**
 * A circuit this tab built, as a client: its hops' keys
 * (crypto/cgo.ts CgoClientCircuitCrypto), its build state, its streams,
 * its SENDME window (flow-control.ts), and the onion-service control cells
 * the app exchanges with its last hop (rend-spec-v3 §3–4).
 *
 * The threat it guards against is a hop other than the last speaking for the
 * last: stream cells are accepted only from the last hop and control cells
 * only on stream 0 from the last hop of an open circuit (client-inbound.ts);
 * a writer waits for window rather than make relays buffer (tor-spec §7.3).
 *
 * How it is built is client-build.ts; what it does with cells coming back is
 * client-inbound.ts.
 */
import { decodeEnd, DestroyReason, encodeEnd, EndReason, RELAY_DATA_MAX, RelayCommand, type RelayCell } from '../cell/index.ts'
import { CgoClientCircuitCrypto, forgetSecret, type NtorClientState } from '../crypto/index.ts'
import { ProtocolViolationError } from '../errors.ts'
import { echoThrough, sinkThrough } from './endpoints.ts'
import { CircuitClosedError, CircuitLimitError, CircuitTimeoutError } from './errors.ts'
import { FlowWindow } from './flow-control.ts'
import type { RouterLimits } from './limits.ts'
import { RELAY_CGO_SHAPE } from './relay-wire.ts'
import type { OnionRouter } from './router.ts'
import { ROLE_REQUEST_COMMANDS, type HopState, type RelayInfo, type Side } from './types.ts'

/** Relay commands a client accepts from the last hop of its circuit and hands to {@link ClientCircuit.onControl} (rend-spec-v3 §3–4). */
export const CLIENT_CONTROL_COMMANDS: ReadonlySet<number> = new Set([
  RelayCommand.INTRO_ESTABLISHED, RelayCommand.INTRODUCE2, RelayCommand.INTRODUCE_ACK, RelayCommand.RENDEZVOUS_ESTABLISHED,
  RelayCommand.RENDEZVOUS2, RelayCommand.HSDIR_STORED, RelayCommand.HSDIR_FOUND
])

const textEncoder = new TextEncoder()

/** A circuit this tab built, as a client. */
export class ClientCircuit {
  readonly crypto: CgoClientCircuitCrypto
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
    this.crypto = new CgoClientCircuitCrypto(RELAY_CGO_SHAPE)
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
    for (const h of this.pendingHandshakes.splice(0)) { forgetSecret(this.router.dh, h.x); h.xb?.fill(0) }
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

  /** @internal A control reply from the last hop (client-inbound.ts). */ control (command: RelayCommand, data: Uint8Array): void {
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
    if (!ROLE_REQUEST_COMMANDS.has(command)) throw new RangeError(`sendControl: ${command} is not a control command`)
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
  async echo (data: Uint8Array): Promise<Uint8Array> { return await echoThrough(this, data) }

  /**
   * Send `total` bytes to the sink at the last hop and wait until it confirms
   * the end of the transfer (bulk goodput through the circuit).
   */
  async sink (total: number): Promise<void> { await sinkThrough(this, total) }

  /** Tear the circuit down (DESTROY to the first hop). */
  destroy (): void {
    this.router.destroyClient(this, DestroyReason.REQUESTED)
  }
}
