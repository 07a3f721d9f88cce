/**
 * The circuit layer's errors. Each is a {@link ProtocolError} with a fixed
 * kind, so callers tell them apart with `isProtocolError(err, kind)` (or
 * `instanceof`) rather than by name; the names are kept stable because the
 * app shows them (app/onion/test-circuit.ts) and tests pin them.
 */
import type { DestroyReason } from '../cell/index.ts'
import { ProtocolError } from '../errors.ts'

/** The circuit is gone: DESTROY from a relay, a closed link, or our own teardown (`reason` as in tor-spec §5.4). */
export class CircuitClosedError extends ProtocolError {
  readonly reason: DestroyReason
  constructor (reason: DestroyReason, message: string) {
    super('destroyed', message)
    this.name = 'CircuitClosedError'
    this.reason = reason
  }
}

/** A build, a hop or a control request took longer than its limit (limits.ts). */
export class CircuitTimeoutError extends ProtocolError {
  constructor (message: string) { super('timeout', message); this.name = 'CircuitTimeoutError' }
}

/** A count limit was reached: client circuits, stream ids, introduction points, pending rendezvous. */
export class CircuitLimitError extends ProtocolError {
  constructor (message: string) { super('circuit-limit', message); this.name = 'CircuitLimitError' }
}
