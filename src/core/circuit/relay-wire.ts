/**
 * The one allocation of sending a relay cell. Both ends that encrypt relay
 * cells (a client's {@link OnionRouter.sendRelay}, a relay's originate) encode
 * the body straight into the wire buffer and encrypt it there, because this
 * is the per-cell path the benchmark measures.
 */
import { CIRC_ID_LEN, CELL_SIZE } from '../constants.ts'
import { writeU32 } from '../bytes.ts'
import { LinkCommand, RELAY_BODY_LEN } from '../cell/index.ts'
import { cgoShape } from '../crypto/index.ts'

/** CGO's parameters at Shallot's relay body length (docs/PROTOCOL.md §5: n1 = 63 blocks, IV mask 0x80). */
export const RELAY_CGO_SHAPE = cgoShape(RELAY_BODY_LEN)

/**
 * A RELAY cell's wire buffer with its header written (circuit id, command):
 * the relay body is encoded and encrypted in place in the rest, so sending a
 * relay cell allocates one buffer and copies nothing (encodeCell would copy
 * the body into a second one).
 */
export function newRelayWire (circId: number): Uint8Array {
  const wire = new Uint8Array(CELL_SIZE)
  writeU32(wire, 0, circId)
  wire[CIRC_ID_LEN] = LinkCommand.RELAY
  return wire
}
