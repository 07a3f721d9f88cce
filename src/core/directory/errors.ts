/**
 * Why a relay descriptor was refused. Each rejection has its own named
 * subclass (for `instanceof` and tests) and a machine-readable
 * {@link DescriptorRejectReason} (for counters); all are
 * {@link ProtocolError}s, so callers that only care "bad input from the
 * network" use `isProtocolError`. Only expiry maps to the `expired` kind;
 * everything else is `bad-descriptor`.
 */
import { ProtocolError } from '../errors.ts'

export type DescriptorRejectReason =
  | 'too-large' // more than MAX_DESCRIPTOR_BYTES
  | 'malformed' // truncated, trailing bytes, bad field value, unknown version
  | 'bad-signature' // Ed25519 signature does not verify
  | 'expired' // expires <= now
  | 'from-future' // published > now + MAX_DESCRIPTOR_CLOCK_SKEW_MS
  | 'lifetime-too-long' // expires - published > MAX_DESCRIPTOR_LIFETIME_MS
  | 'peer-id-mismatch' // signing key does not belong to the peer id (caller's binding check)
  | 'insufficient-work' // no proof of work, less effort than required, or a proof that does not meet its effort (work.ts)
  | 'stale-work' // proof of work made for an epoch this tab no longer (or not yet) accepts

/** Base class of every descriptor rejection. */
export class DescriptorError extends ProtocolError {
  readonly reason: DescriptorRejectReason
  constructor (reason: DescriptorRejectReason, message: string) {
    super(reason === 'expired' ? 'expired' : 'bad-descriptor', message)
    this.reason = reason
    this.name = 'DescriptorError'
  }
}

export class DescriptorTooLargeError extends DescriptorError {
  constructor (message: string) { super('too-large', message); this.name = 'DescriptorTooLargeError' }
}

export class MalformedDescriptorError extends DescriptorError {
  constructor (message: string) { super('malformed', message); this.name = 'MalformedDescriptorError' }
}

export class DescriptorSignatureError extends DescriptorError {
  constructor (message = 'descriptor signature does not verify') { super('bad-signature', message); this.name = 'DescriptorSignatureError' }
}

export class DescriptorExpiredError extends DescriptorError {
  constructor (message = 'descriptor expired') { super('expired', message); this.name = 'DescriptorExpiredError' }
}

export class DescriptorFromFutureError extends DescriptorError {
  constructor (message = 'descriptor published too far in the future') { super('from-future', message); this.name = 'DescriptorFromFutureError' }
}

export class DescriptorLifetimeError extends DescriptorError {
  constructor (message = 'descriptor lifetime too long') { super('lifetime-too-long', message); this.name = 'DescriptorLifetimeError' }
}

export class DescriptorPeerIdMismatchError extends DescriptorError {
  constructor (message = 'descriptor signing key does not belong to its peer id') { super('peer-id-mismatch', message); this.name = 'DescriptorPeerIdMismatchError' }
}

export class DescriptorWorkError extends DescriptorError {
  constructor (message = 'descriptor proof of work is missing or insufficient') { super('insufficient-work', message); this.name = 'DescriptorWorkError' }
}

export class DescriptorStaleWorkError extends DescriptorError {
  constructor (message = 'descriptor proof of work is for an epoch outside the accepted window') { super('stale-work', message); this.name = 'DescriptorStaleWorkError' }
}
