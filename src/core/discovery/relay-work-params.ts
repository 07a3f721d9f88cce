/**
 * The proof-of-work effort a bootstrap relay ("seed") asks of relay
 * descriptors (core/directory/work.ts; docs/PROTOCOL.md "Relay descriptor
 * proof of work"). Tor proposal 327 lets the defended party announce a
 * suggested effort and raise it under attack; our defended party is every
 * tab's directory, and the seeds are the one place an operator can turn the
 * knob for the whole network, as they already hand out ICE servers
 * (./ice-servers.ts). A tab opens a stream on {@link RELAY_WORK_PROTOCOL} to a
 * seed it is connected to and reads one length-prefixed reply:
 *
 *   u8 version (1) | u32 BE effort
 *
 * This module is only the wire format: pure, bounded and strict.
 */
import { readU32, writeU32 } from '../bytes.ts'
import { MAX_RELAY_WORK_EFFORT, MIN_RELAY_WORK_EFFORT } from '../directory/limits.ts'

/** Protocol id of the effort announcement stream. */
export const RELAY_WORK_PROTOCOL = '/shallot/relay-work/1.0.0'

/** Bytes of the reply. */
export const RELAY_WORK_REPLY_BYTES = 5

export class RelayWorkParamsError extends Error {
  readonly kind = 'malformed-relay-work' as const
  constructor (message: string) {
    super(message)
    this.name = 'RelayWorkParamsError'
  }
}

function checkEffort (effort: number): void {
  if (!Number.isInteger(effort) || effort < MIN_RELAY_WORK_EFFORT || effort > MAX_RELAY_WORK_EFFORT) throw new RelayWorkParamsError('effort out of range')
}

export function encodeRelayWorkParams (effort: number): Uint8Array {
  checkEffort(effort)
  const out = new Uint8Array(RELAY_WORK_REPLY_BYTES)
  out[0] = 1
  writeU32(out, 1, effort)
  return out
}

export function decodeRelayWorkParams (bytes: Uint8Array): number {
  if (bytes.length !== RELAY_WORK_REPLY_BYTES || bytes[0] !== 1) throw new RelayWorkParamsError('unknown version or length')
  const effort = readU32(bytes, 1)
  checkEffort(effort)
  return effort
}
