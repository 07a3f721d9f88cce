/**
 * What a relay does with the cells of circuits through it: CREATE (ntor,
 * tor-spec §5.1.4, optionally with an onward header), RELAY cells going out
 * (peel one layer; forward what is not ours, tor-spec §6.1; handle what is:
 * EXTEND §5.1.2, stream cells of the test endpoints, SENDME §7.3–7.4,
 * TRUNCATE §5.4, onion-service commands), RELAY cells coming back (add our
 * layer, forward), and the next hop's CREATED.
 *
 * The threats it answers: CREATE floods (a per-neighbour token bucket and a
 * cap on relayed circuits, dos-spec), EXTEND used to loop back to this tab or
 * its predecessor, replayed onward CREATEs (a replay cache, Sphinx §3.3), and
 * peers that ignore flow control (the window checks). Any of these is a
 * ProtocolError that destroys that circuit only (router.ts onError).
 */
import {
  decodeExtend, decodeRelayBody, decodeSendme, DestroyReason, encodeExtended, encodeSendme, HandshakeType, LinkCommand, NODE_ID_LEN, RelayCommand, type RelayCell
} from '../cell/index.ts'
import { ctEqual } from '../bytes.ts'
import { ntorServerRespondWith, onwardKeys, openOnwardHeader, splitOnwardHdata, type NtorPublicKey, type OnwardKeys } from '../crypto/index.ts'
import { ProtocolViolationError, ReplayError } from '../errors.ts'
import { beginEndpoint, endEndpoint, endpointData } from './endpoints.ts'
import { ONWARD_HOLD_MS } from './limits.ts'
import { destroyRelay, originate, RelayCircuit, releaseCreated, sendOrQueue } from './relay-circuit.ts'
import type { OnionRouter } from './router.ts'
import { keyOf, ROLE_REQUEST_COMMANDS } from './types.ts'

/** Whether the relay table has room for one more circuit from `from`: in all, and from that neighbour (limits.ts). */
function roomFor (router: OnionRouter, from: string): boolean {
  const { limits } = router
  if (router.relayCircuits.size >= limits.maxRelayCircuits) return false
  let fromThere = 0
  for (const c of router.relayCircuits) if (c.prev.peer === from && ++fromThere >= limits.maxRelayCircuitsPerNeighbour) return false
  return true
}

/** CREATE from `from`: answer it (or, with an onward header, extend first and answer with the next hop). */
export function onCreate (router: OnionRouter, from: string, circId: number, htype: number, hdata: Uint8Array): void {
  const { opts, limits } = router
  const now = opts.now()
  if (!roomFor(router, from) || !router.createBuckets.of(from).tryTake()) {
    router.sendDestroy({ peer: from, circId }, DestroyReason.RESOURCELIMIT)
    return
  }
  if (htype !== HandshakeType.NTOR && htype !== HandshakeType.NTOR_ONWARD) throw new ProtocolViolationError('unknown handshake type')
  const onward = htype === HandshakeType.NTOR_ONWARD ? splitOnwardHdata(hdata) : null
  const key = keyOf(from, circId)
  router.pendingCreates.add(key)
  let sealKeys: OnwardKeys | null = null
  const withXb = onward == null ? undefined : (xb: Uint8Array, mine: NtorPublicKey, X: Uint8Array): void => { sealKeys = onwardKeys(xb, mine.nodeId, mine.onionKey, X) }
  ntorServerRespondWith(opts.onionKeys, onward?.onionskin ?? hdata, opts.random, router.dh, undefined, withXb).then(({ reply, keys }) => {
    // Gone meanwhile (DESTROY, link closed, shutdown): forget it.
    const wanted = router.pendingCreates.delete(key) && opts.links.has(from)
    const room = wanted && roomFor(router, from)
    if (!room) {
      keys.fill(0)
      if (sealKeys != null) { sealKeys.enc.fill(0); sealKeys.mac.fill(0) }
      // The table filled while the handshake was computed (a burst of CREATEs
      // all passed the first check): refuse as at once, or the client waits
      // for its hop timeout.
      if (wanted) router.sendDestroy({ peer: from, circId }, DestroyReason.RESOURCELIMIT)
      return
    }
    // With an onward header: where to extend next, checked before anything is set up.
    let next: { peer: string, hdata: Uint8Array } | null = null
    if (onward != null) {
      try {
        next = openOnward(router, sealKeys!, onward, from)
      } catch (err) {
        keys.fill(0)
        router.onError(from, circId, err)
        return
      } finally {
        sealKeys!.enc.fill(0); sealKeys!.mac.fill(0)
      }
    }
    const circ = new RelayCircuit({ peer: from, circId }, keys, now, limits)
    keys.fill(0)
    router.relayCircuits.add(circ)
    router.byKey.set(key, { role: 'relay-prev', circ })
    opts.onEvent?.({ type: 'relay-circuit-opened' })
    if (next == null) {
      router.sendLink(from, { circId, msg: { command: LinkCommand.CREATED, hdata: reply } })
    } else {
      // Send on first; answer when the next hop has (onRelayCreated), so the
      // replies travel back together, in one message per link, instead of
      // this CREATED competing with the CREATE going forward (PROTOCOL.md §7 "Building with an onward header").
      circ.heldCreated = reply
      // Not for longer than ONWARD_HOLD_MS: a next hop that is slow to reach
      // (a fresh connection) or silent (a closed tab) must not look, to the
      // client, like this hop failing (guard-spec §4.8 counts only failures
      // at the guard itself against it).
      circ.cancelHold = opts.setTimer(ONWARD_HOLD_MS, () => { releaseCreated(router, circ) })
      extendTo(router, circ, next.peer, HandshakeType.NTOR_ONWARD, next.hdata)
    }
  }, (err: unknown) => {
    router.pendingCreates.delete(key)
    router.onError(from, circId, err)
  })
}

/** A RELAY cell from the client's side: peel our layer; forward it, or handle it if it is ours. */
export function onRelayOutbound (router: OnionRouter, circ: RelayCircuit, body: Uint8Array, wire: Uint8Array): void {
  circ.lastActivity = router.opts.now()
  if (!circ.crypto.decryptOutbound(body, LinkCommand.RELAY)) {
    // Not for us: forward to the next hop, or it is garbage (tor-spec §6.1).
    if (circ.next == null) throw new ProtocolViolationError('unrecognized relay cell at the last hop')
    router.cellsRelayed++
    router.forwardInPlace(wire, circ.next)
    return
  }
  const cell = decodeRelayBody(body)
  switch (cell.command) {
    case RelayCommand.EXTEND:
      onExtend(router, circ, cell)
      return
    case RelayCommand.BEGIN:
      beginEndpoint(router, circ, cell)
      return
    case RelayCommand.DATA: {
      // Where data from this circuit goes back out: the joined circuit at a
      // rendezvous point, else this one (echo).
      const outlet = circ.joined ?? circ
      if (circ.flow.countDelivered()) {
        const tag = circ.crypto.lastOutboundTag()
        if (outlet.echoBacklog.length > 0 || circ.heldSendmes.length > 0) circ.heldSendmes.push(tag)
        else originate(router, circ, { command: RelayCommand.SENDME, streamId: 0, data: encodeSendme(tag) })
      }
      if (circ.joined != null) {
        // Rendezvous point: relay the end-to-end frame onto the other circuit (docs/RENDEZVOUS.md §5).
        if (cell.streamId === 0) throw new ProtocolViolationError('DATA on stream 0')
        router.cellsRelayed++
        outlet.lastActivity = circ.lastActivity // a one-sided conversation keeps both circuits alive
        sendOrQueue(router, outlet, { command: RelayCommand.DATA, streamId: cell.streamId, data: cell.data })
        return
      }
      endpointData(router, circ, cell)
      return
    }
    case RelayCommand.END:
      endEndpoint(router, circ, cell)
      return
    case RelayCommand.SENDME: {
      circ.flow.acceptSendme(decodeSendme(cell.data))
      while (circ.flow.package > 0 && circ.echoBacklog.length > 0) originate(router, circ, circ.echoBacklog.shift()!)
      // The SENDMEs held back are owed to the circuit whose data filled this backlog.
      const source = circ.joined ?? circ
      if (circ.echoBacklog.length === 0) {
        for (const tag of source.heldSendmes.splice(0)) originate(router, source, { command: RelayCommand.SENDME, streamId: 0, data: encodeSendme(tag) })
      }
      return
    }
    case RelayCommand.DROP:
      return
    case RelayCommand.TRUNCATE:
      if (circ.next != null) {
        router.byKey.delete(keyOf(circ.next.peer, circ.next.circId))
        router.sendDestroy(circ.next, DestroyReason.REQUESTED)
        circ.next = null
      }
      originate(router, circ, { command: RelayCommand.TRUNCATED, streamId: 0, data: Uint8Array.of(DestroyReason.REQUESTED) })
      return
    default:
      if (!ROLE_REQUEST_COMMANDS.has(cell.command)) throw new ProtocolViolationError(`relay command ${cell.command} not expected by a relay`)
      if (cell.streamId !== 0) throw new ProtocolViolationError('onion-service command on a stream')
      router.roles.handle(circ, cell)
  }
}

/** A RELAY cell from the next hop, toward the client: add our layer and pass it back. */
export function onRelayInbound (router: OnionRouter, circ: RelayCircuit, body: Uint8Array, cell: Uint8Array): void {
  circ.lastActivity = router.opts.now()
  circ.crypto.forwardInbound(body, LinkCommand.RELAY)
  router.cellsRelayed++
  router.forwardInPlace(cell, circ.prev)
}

/** The next hop's CREATED: EXTENDED to the client (after any CREATED this hop held). */
export function onRelayCreated (router: OnionRouter, circ: RelayCircuit, hdata: Uint8Array): void {
  if (!circ.extending) throw new ProtocolViolationError('unexpected CREATED')
  circ.extending = false
  releaseCreated(router, circ)
  originate(router, circ, { command: RelayCommand.EXTENDED, streamId: 0, data: encodeExtended(hdata) })
}

function onExtend (router: OnionRouter, circ: RelayCircuit, cell: RelayCell): void {
  if (circ.next != null || circ.extending) throw new ProtocolViolationError('EXTEND on a circuit that already extends')
  const ext = decodeExtend(cell.data)
  const nextPeer = nextPeerOf(router, ext.linkSpec, circ.prev.peer)
  if (!ctEqual(ext.nodeId, onionskinNodeId(ext.hdata))) throw new ProtocolViolationError('EXTEND: NODEID and the onionskin name different relays')
  checkNamesRelay(router, nextPeer, ext.hdata)
  extendTo(router, circ, nextPeer, ext.htype, ext.hdata)
}

/** The NODEID an ntor onionskin starts with (both handshake types' hdata do: tor-spec §5.1.4). */
function onionskinNodeId (hdata: Uint8Array): Uint8Array {
  if (hdata.length < NODE_ID_LEN) throw new ProtocolViolationError('EXTEND: handshake data too short for an onionskin')
  return hdata.subarray(0, NODE_ID_LEN)
}

/**
 * Dial only the relay the onionskin is for: its NODEID must be the hash of the
 * Ed25519 key inside the peer id we are asked to reach (tor-spec §5.1.2: an
 * EXTEND2's link specifiers carry the identity the next relay must prove).
 * Otherwise a client could have this tab open connections to any peer id at
 * all, with a handshake meant for someone else, to learn who is online and
 * reachable from here (issue #13 item 10); now it can only build circuits, as
 * anyone may, to a relay whose keys it holds.
 */
function checkNamesRelay (router: OnionRouter, nextPeer: string, hdata: Uint8Array): void {
  const expected = router.opts.nodeIdOfPeer(nextPeer)
  if (expected == null || !ctEqual(expected, onionskinNodeId(hdata))) throw new ProtocolViolationError('EXTEND: the onionskin is not for the peer it names')
}

/** The peer a link specifier names; never this tab or the hop it came from. */
function nextPeerOf (router: OnionRouter, linkSpec: Uint8Array, prev: string): string {
  let nextPeer: string
  try {
    nextPeer = new TextDecoder('utf-8', { fatal: true }).decode(linkSpec)
  } catch {
    throw new ProtocolViolationError('EXTEND: link specifier is not a peer id')
  }
  if (nextPeer === router.opts.peerId || nextPeer === prev) throw new ProtocolViolationError('EXTEND back to self or predecessor')
  return nextPeer
}

/**
 * An onward CREATE's header: check it (MAC, replay), and return the CREATE
 * this hop must send on, or null at the last hop (docs/PROTOCOL.md §7 "Building with an onward header").
 */
function openOnward (router: OnionRouter, keys: OnwardKeys, onward: { onionskin: Uint8Array, blob: Uint8Array, mac: Uint8Array }, from: string): { peer: string, hdata: Uint8Array } | null {
  const step = openOnwardHeader(keys, onward.blob, onward.mac)
  // Only after the MAC: a forged header cannot fill the cache. The value kept
  // is the client's ephemeral X, fresh per hop per build.
  if (!router.onwardReplays.checkAndAdd(onward.onionskin.subarray(onward.onionskin.length - 32))) throw new ReplayError('handshake replayed')
  if (step.kind === 'last') return null
  const peer = nextPeerOf(router, step.linkSpec, from)
  checkNamesRelay(router, peer, step.hdata)
  return { peer, hdata: step.hdata }
}

/** Send a CREATE for `circ` to the next hop, opening a link to it first if needed. */
function extendTo (router: OnionRouter, circ: RelayCircuit, nextPeer: string, htype: HandshakeType, hdata: Uint8Array): void {
  circ.extending = true
  // Open a channel to the next hop if needed (a fresh WebRTC connection in net).
  router.opts.links.connect(nextPeer).then(() => {
    if (!router.relayCircuits.has(circ)) return
    const next = { peer: nextPeer, circId: router.newCircId(nextPeer) }
    circ.next = next
    router.byKey.set(keyOf(next.peer, next.circId), { role: 'relay-next', circ })
    router.sendLink(next.peer, { circId: next.circId, msg: { command: LinkCommand.CREATE, htype, hdata } })
  }, () => {
    if (router.relayCircuits.has(circ)) destroyRelay(router, circ, DestroyReason.CONNECTFAILED, null)
  })
}
