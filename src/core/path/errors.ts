/**
 * Path-selection failures. {@link NoPathError} means "not enough usable
 * relays right now": the caller waits for more descriptors (or tells the user
 * the network is still small) and retries; it is a {@link ProtocolError} of
 * kind `no-path` so the app can map it to a message.
 */
import { ProtocolError } from '../errors.ts'

export class NoPathError extends ProtocolError {
  /** Hops asked for. */
  readonly needed: number
  /** Usable relays there were (after excluding self, the excluded set, zero-capacity relays). */
  readonly available: number
  constructor (message: string, needed: number, available: number) {
    super('no-path', message)
    this.name = 'NoPathError'
    this.needed = needed
    this.available = available
  }
}
