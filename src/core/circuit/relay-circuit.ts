/**
 * A circuit through this tab as a relay: its state, the cells this hop
 * originates toward the client, and its teardown.
 *
 * A relay knows only its predecessor and successor (tor-spec §5); it keeps
 * one layer of keys (crypto/cgo.ts) and one SENDME window per direction
 * (flow-control.ts). What it originates is bounded: DATA waits for window,
 * and the queue of such DATA holds one window at most (tor-spec §7.3
 * back-pressure), so a peer that ignores flow control is cut off instead of
 * making the relay buffer without bound. Teardown sends DESTROY both ways
 * except back where it came from (tor-spec §5.4).
 *
 * Handling the cells that arrive on it is relay-cells.ts; its onion-service
 * roles are rendezvous/relay-roles.ts.
 */
import { CELL_HEADER_LEN, DestroyReason, encodeRelayBody, LinkCommand, RelayCommand, type RelayCell } from '../cell/index.ts'
import { CgoRelayCircuitCrypto } from '../crypto/index.ts'
import { ProtocolViolationError } from '../errors.ts'
import type { TokenBucket } from '../channel/token-bucket.ts'
import { FlowWindow } from './flow-control.ts'
import type { RouterLimits } from './limits.ts'
import { newRelayWire, RELAY_CGO_SHAPE } from './relay-wire.ts'
import type { OnionRouter } from './router.ts'
import { keyOf, type Side } from './types.ts'

/** A stream to one of the built-in test endpoints (endpoints.ts). */
export interface RelayStream { readonly kind: 'echo' | 'sink', received: number }

/** A circuit through this tab, as a relay. */
export class RelayCircuit {
  readonly prev: Side
  next: Side | null = null
  extending = false
  /** An onward CREATE's CREATED, sent once the next hop has answered (docs/PROTOCOL.md §7 "Building with an onward header"). */
  heldCreated: Uint8Array | null = null
  cancelHold: (() => void) | null = null
  readonly crypto: CgoRelayCircuitCrypto
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
  /** This circuit made its one HSDir request (HSDIR_STORE or HSDIR_FETCH) here. */
  hsdirUsed = false
  /** At an introduction point: INTRODUCE2s it may still pass on (control cells have no SENDME window). */
  introduceBucket: TokenBucket | null = null
  constructor (prev: Side, keys: Uint8Array, now: number, limits: RouterLimits) {
    this.prev = prev
    this.crypto = new CgoRelayCircuitCrypto(keys, RELAY_CGO_SHAPE)
    this.lastActivity = now
    this.flow = new FlowWindow(limits.circuitWindow, limits.sendmeIncrement)
  }
}

/** A relay cell this hop originates toward the client. */
export function originate (router: OnionRouter, circ: RelayCircuit, cell: RelayCell): void {
  const wire = newRelayWire(circ.prev.circId)
  const body = encodeRelayBody(cell, router.opts.random, wire.subarray(CELL_HEADER_LEN))
  circ.crypto.originateInbound(body, LinkCommand.RELAY)
  if (cell.command === RelayCommand.DATA) {
    circ.flow.package--
    if ((circ.flow.window - circ.flow.package) % circ.flow.increment === 0) circ.flow.expected.push(circ.crypto.lastInboundTag())
  }
  router.forwardInPlace(wire, circ.prev)
}

/**
 * Send DATA this hop originates on `circ` (echo, or a rendezvous point
 * relaying between joined circuits), or queue it while the package window is
 * empty. The queue holds one window at most: the sender's SENDMEs are held
 * meanwhile (tor-spec §7.3 back-pressure), so more means it ignored flow control.
 */
export function sendOrQueue (router: OnionRouter, circ: RelayCircuit, cell: RelayCell): void {
  if (circ.flow.package > 0 && circ.echoBacklog.length === 0) originate(router, circ, cell)
  else if (circ.echoBacklog.length < router.limits.circuitWindow) circ.echoBacklog.push(cell)
  else throw new ProtocolViolationError('peer ignored flow control')
}

/** Send an onward CREATE's held CREATED now, if it is still held. */
export function releaseCreated (router: OnionRouter, circ: RelayCircuit): void {
  circ.cancelHold?.()
  circ.cancelHold = null
  const reply = circ.heldCreated
  if (reply == null) return
  circ.heldCreated = null
  if (router.relayCircuits.has(circ)) router.sendLink(circ.prev.peer, { circId: circ.prev.circId, msg: { command: LinkCommand.CREATED, hdata: reply } })
}

/** Tear a relayed circuit down; `from` is the side whose DESTROY or closed link caused it, if any. */
export function destroyRelay (router: OnionRouter, circ: RelayCircuit, reason: DestroyReason, from: 'prev' | 'next' | null): void {
  // This hop did answer: say so before the DESTROY, so the client sees
  // that the failure lies beyond it.
  if (from !== 'prev') releaseCreated(router, circ)
  else { circ.cancelHold?.(); circ.heldCreated = null }
  if (!router.relayCircuits.delete(circ)) return
  router.roles.forget(circ)
  // Joined circuits live and die together (rend-spec-v3 §4.2).
  const joined = circ.joined
  circ.joined = null
  if (joined != null) { joined.joined = null; destroyRelay(router, joined, reason, null) }
  router.byKey.delete(keyOf(circ.prev.peer, circ.prev.circId))
  if (circ.next != null) router.byKey.delete(keyOf(circ.next.peer, circ.next.circId))
  // DESTROY both ways, except back to where it came from (tor-spec §5.4).
  if (from !== 'prev' && router.opts.links.has(circ.prev.peer)) router.sendDestroy(circ.prev, reason)
  if (from !== 'next' && circ.next != null && router.opts.links.has(circ.next.peer)) router.sendDestroy(circ.next, reason)
  circ.crypto.wipe()
  router.opts.onEvent?.({ type: 'relay-circuit-closed', reason })
}
