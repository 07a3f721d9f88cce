/**
 * The built-in test endpoints at a circuit's last hop: `echo` (sends every
 * DATA cell back) and `sink` (swallows DATA, confirms the END of a bulk
 * transfer). They exist to test circuits ("Test circuit" in the app) and to
 * measure them (the benchmark), and carry nothing of the user's.
 *
 * Why they are safe to offer: a stream is opened only by the client that
 * built the circuit (BEGIN must be recognised with its keys, tor-spec §6.1);
 * echo data goes back on that same circuit, under its flow control
 * (relay-circuit.ts sendOrQueue), so it cannot be used to send anywhere else
 * or to amplify. Any other BEGIN target is refused with END (Shallot has no
 * exits).
 */
import { DestroyReason, encodeEnd, EndReason, RELAY_DATA_MAX, RelayCommand, type RelayCell } from '../cell/index.ts'
import { ProtocolViolationError } from '../errors.ts'
import type { ClientCircuit } from './client-circuit.ts'
import { CircuitClosedError } from './errors.ts'
import { SINK_CHUNK_CELLS } from './limits.ts'
import { originate, sendOrQueue, type RelayCircuit } from './relay-circuit.ts'
import type { OnionRouter } from './router.ts'

/** Targets of BEGIN at the last hop: built-in endpoints for testing circuits. */
export const ECHO_TARGET = 'echo'
export const SINK_TARGET = 'sink'

const textDecoder = new TextDecoder()

// ---- at the last hop ------------------------------------------------------

/** BEGIN: CONNECTED for a built-in endpoint, END(MISC) for anything else. */
export function beginEndpoint (router: OnionRouter, circ: RelayCircuit, cell: RelayCell): void {
  const target = textDecoder.decode(cell.data)
  if (cell.streamId === 0 || circ.streams.has(cell.streamId)) throw new ProtocolViolationError('bad stream id in BEGIN')
  if (target !== ECHO_TARGET && target !== SINK_TARGET) {
    originate(router, circ, { command: RelayCommand.END, streamId: cell.streamId, data: encodeEnd(EndReason.MISC) })
    return
  }
  circ.streams.set(cell.streamId, { kind: target, received: 0 })
  originate(router, circ, { command: RelayCommand.CONNECTED, streamId: cell.streamId, data: new Uint8Array(0) })
}

/** DATA on an endpoint stream (after flow control has counted it). */
export function endpointData (router: OnionRouter, circ: RelayCircuit, cell: RelayCell): void {
  const stream = circ.streams.get(cell.streamId)
  if (stream == null) return // stream closed already: drop, as Tor does for late data
  stream.received += cell.data.length
  if (stream.kind === 'echo') sendOrQueue(router, circ, { command: RelayCommand.DATA, streamId: cell.streamId, data: cell.data })
}

/** END of an endpoint stream; the sink acknowledges the end of a bulk transfer. */
export function endEndpoint (router: OnionRouter, circ: RelayCircuit, cell: RelayCell): void {
  const stream = circ.streams.get(cell.streamId)
  circ.streams.delete(cell.streamId)
  if (stream?.kind === 'sink') originate(router, circ, { command: RelayCommand.END, streamId: cell.streamId, data: encodeEnd(EndReason.DONE) })
}

// ---- at the client --------------------------------------------------------

/** {@link ClientCircuit.echo}: echo `data` through the circuit and back. */
export async function echoThrough (circ: ClientCircuit, data: Uint8Array): Promise<Uint8Array> {
  const chunks: Uint8Array[] = []
  let got = 0
  let streamId = 0
  let unlisten = (): void => {}
  const done = new Promise<Uint8Array>((resolve, reject) => {
    streamId = circ.openStream(ECHO_TARGET, (d) => {
      chunks.push(d)
      got += d.length
      if (got >= data.length) {
        const out = new Uint8Array(got)
        let o = 0
        for (const c of chunks) { out.set(c, o); o += c.length }
        resolve(out)
      }
    }, (reason) => { if (got < data.length) reject(new CircuitClosedError(DestroyReason.NONE, `echo stream ended (${reason})`)) })
    unlisten = circ.onClose(reject)
  })
  try {
    await circ.write(streamId, data)
    const out = await done
    circ.endStream(streamId)
    return out
  } finally {
    unlisten()
  }
}

/** {@link ClientCircuit.sink}: send `total` bytes to the sink and wait for its END. */
export async function sinkThrough (circ: ClientCircuit, total: number): Promise<void> {
  let unlisten = (): void => {}
  let streamId = 0
  const done = new Promise<void>((resolve, reject) => {
    streamId = circ.openStream(SINK_TARGET, () => {}, () => { resolve() })
    unlisten = circ.onClose(reject)
  })
  try {
    const chunk = new Uint8Array(RELAY_DATA_MAX * SINK_CHUNK_CELLS)
    for (let sent = 0; sent < total; sent += chunk.length) await circ.write(streamId, sent + chunk.length <= total ? chunk : chunk.subarray(0, total - sent))
    circ.endStream(streamId)
    await done
  } finally {
    unlisten()
  }
}
