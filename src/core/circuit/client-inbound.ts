/**
 * What a client does with the cells that come back on its circuits: the
 * hops' handshake replies (CREATED, EXTENDED), stream DATA/END/CONNECTED,
 * SENDMEs, and onion-service control replies.
 *
 * The threats: a middle relay injecting into a stream (stream cells are
 * taken only from the last hop; tor: "relay cell from wrong hop"), a relay
 * pushing past the window or forging SENDMEs (flow-control.ts, tor-spec §7.3,
 * prop 289), and a pipelined build's replies overtaking each other: a reply
 * that arrives while the previous hop's handshake is still being finished is
 * held (at most ONWARD_MAX_HOPS) until that hop's keys can peel it.
 */
import { decodeExtended, decodeRelayBody, decodeSendme, DestroyReason, encodeSendme, LinkCommand, RelayCommand } from '../cell/index.ts'
import { ntorClientFinishWith, ONWARD_MAX_HOPS, type NtorClientState } from '../crypto/index.ts'
import { ProtocolViolationError } from '../errors.ts'
import { CLIENT_CONTROL_COMMANDS, type ClientCircuit } from './client-circuit.ts'
import { CircuitClosedError } from './errors.ts'
import type { OnionRouter } from './router.ts'

/** Complete a hop's handshake (CREATED or EXTENDED), then let the build go on. */
export function finishHop (router: OnionRouter, circ: ClientCircuit, pending: NtorClientState, reply: Uint8Array): void {
  circ.finishing = true
  ntorClientFinishWith(pending, reply, router.dh).then((keys) => {
    circ.finishing = false
    if (circ.state === 'closed') { keys.fill(0); return }
    circ.crypto.addHop(keys)
    circ.stepDone()
    releaseHeldCells(router, circ)
  }, (err: unknown) => {
    circ.finishing = false
    router.countError(err)
    circ.failedHop ??= circ.crypto.length // this hop's own reply failed, whatever is held behind it
    router.destroyClient(circ, DestroyReason.PROTOCOL, err as Error)
  })
}

/**
 * A pipelined build's next EXTENDED can arrive while the previous hop's
 * handshake is still being finished; it is held until that hop's keys can
 * peel it, then handled in order.
 */
export function holdCell (circ: ClientCircuit, body: Uint8Array): void {
  if (circ.heldCells.length >= ONWARD_MAX_HOPS) throw new ProtocolViolationError('too many relay cells during a handshake')
  circ.heldCells.push(body)
}

/** Handle the held replies, in order, once the hop before them has its keys. */
function releaseHeldCells (router: OnionRouter, circ: ClientCircuit): void {
  while (!circ.finishing && circ.state !== 'closed' && circ.heldCells.length > 0) {
    const body = circ.heldCells.shift()!
    try {
      onClientRelay(router, circ, body)
    } catch (err) {
      if (circ.state === 'building') circ.failedHop ??= circ.crypto.length // the reply that failed, not the ones held behind it
      router.onError(circ.first.peer, circ.first.circId, err)
    }
  }
}

/** A RELAY cell on a client circuit: peel it (learning which hop sent it), then act on it. */
export function onClientRelay (router: OnionRouter, circ: ClientCircuit, body: Uint8Array): void {
  const hop = circ.crypto.decryptInbound(body, LinkCommand.RELAY) // DigestMismatchError → caught by handleCell
  const cell = decodeRelayBody(body)
  circ.cellsReceived++
  // Stream cells come only from the hop the streams live at; a middle relay
  // must not inject data into or end a stream.
  if (cell.streamId !== 0 && hop !== circ.lastHop) throw new ProtocolViolationError('stream cell from a hop other than the last')
  switch (cell.command) {
    case RelayCommand.EXTENDED: {
      const pending = circ.takePendingHandshake()
      if (pending == null || hop !== circ.crypto.length - 1) throw new ProtocolViolationError('unexpected EXTENDED')
      finishHop(router, circ, pending, decodeExtended(cell.data))
      return
    }
    case RelayCommand.DATA:
      if (circ.flow.countDelivered()) router.sendRelay(circ, hop, { command: RelayCommand.SENDME, streamId: 0, data: encodeSendme(circ.crypto.lastInboundTag(hop)) })
      circ.deliver(cell.streamId, cell)
      return
    case RelayCommand.END:
    case RelayCommand.CONNECTED:
      circ.deliver(cell.streamId, cell)
      return
    case RelayCommand.SENDME:
      circ.flow.acceptSendme(decodeSendme(cell.data))
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
