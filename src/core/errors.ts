/**
 * Protocol errors: the only things `src/core` throws on bad input.
 *
 * Every error caused by bytes from the network (a malformed cell, a failed
 * digest, a bad handshake, a low-order point ...) is a {@link ProtocolError}
 * with a machine-readable {@link ProtocolErrorKind}, so the layers above can
 * react uniformly: tear the circuit down with DESTROY, drop the peer, count the
 * event. Never crash the tab (DESIGN.md §4). Code bugs (wrong argument types
 * from our own callers) may still throw plain `Error`/`RangeError`.
 *
 * To add a kind: append it to {@link PROTOCOL_ERROR_KINDS} (one place), and add
 * a subclass below if callers need to `instanceof` it.
 */

/** All error kinds, in one list so the union type and runtime checks agree. */
export const PROTOCOL_ERROR_KINDS = [
  'malformed-cell', // a cell or message body is the wrong length or shape
  'unknown-command', // command / relay command / handshake type we do not speak
  'bad-digest', // relay cell recognized by no layer, or digest mismatch (tor-spec §6.1)
  'bad-handshake', // ntor AUTH mismatch, wrong node id or onion key (tor-spec §5.1.4)
  'replayed', // a handshake this relay has already answered (onward header, docs/PROTOCOL.md §7 "Building with an onward header")
  'low-order-point', // X25519 input of small order / all-zero shared secret (RFC 7748 §6.1)
  'keystream-exhausted', // a relay cipher would need to reuse keystream; the circuit must close
  'circuit-limit', // too many circuits
  'rate-limited', // too many requests per unit of time
  'queue-full', // bounded queue overflowed
  'protocol-violation', // a well-formed message at the wrong time
  'destroyed', // the circuit was torn down
  'timeout', // an operation took too long
  'no-path', // not enough relays to build a path
  'bad-descriptor', // a relay descriptor failed to parse or verify
  'expired' // something signed is past its validity
] as const

export type ProtocolErrorKind = typeof PROTOCOL_ERROR_KINDS[number]

/** Base class of every error core throws on bad input. */
export class ProtocolError extends Error {
  readonly kind: ProtocolErrorKind
  constructor (kind: ProtocolErrorKind, message: string) {
    super(message)
    this.kind = kind
    this.name = 'ProtocolError'
  }
}

/** True when `e` is a {@link ProtocolError}, optionally of the given kind. */
export function isProtocolError (e: unknown, kind?: ProtocolErrorKind): e is ProtocolError {
  return e instanceof ProtocolError && (kind === undefined || e.kind === kind)
}

/** Wrong length, truncated field, field out of range. */
export class MalformedCellError extends ProtocolError {
  constructor (message: string) { super('malformed-cell', message); this.name = 'MalformedCellError' }
}

/** A command, relay command or handshake type this implementation does not know. */
export class UnknownCommandError extends ProtocolError {
  constructor (message: string) { super('unknown-command', message); this.name = 'UnknownCommandError' }
}

/** A relay cell that no hop recognises (tampered, replayed, reordered or misrouted). */
export class DigestMismatchError extends ProtocolError {
  constructor (message: string) { super('bad-digest', message); this.name = 'DigestMismatchError' }
}

/** The circuit handshake failed (wrong key, wrong identity, AUTH mismatch). */
export class HandshakeError extends ProtocolError {
  constructor (message: string) { super('bad-handshake', message); this.name = 'HandshakeError' }
}

/** A handshake seen before: a replayed onward CREATE would make this relay extend again (Sphinx §3.3 keeps a replay cache for the same reason). */
export class ReplayError extends ProtocolError {
  constructor (message: string) { super('replayed', message); this.name = 'ReplayError' }
}

/** A Diffie–Hellman input of small order, or an all-zero shared secret. */
export class LowOrderPointError extends ProtocolError {
  constructor (message = 'low-order point in X25519') { super('low-order-point', message); this.name = 'LowOrderPointError' }
}

/** A relay cipher reached the end of its counter space; the circuit must be closed. */
export class KeystreamExhaustedError extends ProtocolError {
  constructor (message = 'relay keystream exhausted') { super('keystream-exhausted', message); this.name = 'KeystreamExhaustedError' }
}

/** A well-formed message that is not allowed in the current state. */
export class ProtocolViolationError extends ProtocolError {
  constructor (message: string) { super('protocol-violation', message); this.name = 'ProtocolViolationError' }
}
