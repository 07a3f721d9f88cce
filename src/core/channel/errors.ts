/**
 * Channel-level refusals. Both are {@link ProtocolError}s: the net layer
 * answers them by tearing down the offending circuit (DESTROY RESOURCELIMIT)
 * or refusing the CREATE, never by crashing or by buffering without bound.
 */
import { ProtocolError } from '../errors.ts'

/** A bounded queue is full: the circuit's own queue, or the channel's total. */
export class QueueFullError extends ProtocolError {
  readonly scope: 'circuit' | 'channel'
  readonly circId: number
  constructor (scope: 'circuit' | 'channel', circId: number, limit: number) {
    super('queue-full', `${scope} queue full (limit ${limit} cells, circuit ${circId})`)
    this.name = 'QueueFullError'
    this.scope = scope
    this.circId = circId
  }
}

/** A token bucket said no (too many CREATEs from a neighbour, too many bytes). */
export class RateLimitedError extends ProtocolError {
  constructor (message: string) {
    super('rate-limited', message)
    this.name = 'RateLimitedError'
  }
}
