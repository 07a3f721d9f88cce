/**
 * Why an onion-service step failed. All are {@link ProtocolError}s, so the
 * layers above handle them like any bad input from the network (tear down the
 * circuit, try another HSDir or introduction point); the subclasses let the
 * app show the one that matters to a person, {@link IdentityMismatchError}.
 * Messages are plain sentences and never contain keys, ids or names.
 */
import { ProtocolError } from '../errors.ts'

/** A service descriptor failed to parse or verify (spec §4); kind 'expired' when it is past its lifetime. */
export class HsDescriptorError extends ProtocolError {
  constructor (message: string, kind: 'bad-descriptor' | 'expired' = 'bad-descriptor') {
    super(kind, message)
    this.name = 'HsDescriptorError'
  }
}

/** Someone answered for a contact without holding the contact's identity key (spec §4 reader checks, §6 key confirmation: the reply did not prove the DH key A signed into its descriptor). */
export class IdentityMismatchError extends ProtocolError {
  constructor (message = 'The person answering is not the contact you added: their identity key does not match.') {
    super('bad-handshake', message)
    this.name = 'IdentityMismatchError'
  }
}

/** An INTRODUCE or RENDEZVOUS reply that is malformed or fails decryption, static-key certificate, MAC or clock checks (spec §6). */
export class IntroduceError extends ProtocolError {
  constructor (message: string, kind: 'bad-handshake' | 'malformed-cell' = 'bad-handshake') {
    super(kind, message)
    this.name = 'IntroduceError'
  }
}

/** An INTRODUCE whose ephemeral key was already seen under this introduction key (spec §6; rend-spec-v3 §1.8, §3.3). */
export class IntroduceReplayError extends ProtocolError {
  constructor (message = 'This introduction was already used (replay refused).') {
    super('protocol-violation', message)
    this.name = 'IntroduceReplayError'
  }
}

/** An end-to-end frame failed to open, or the session is closed (spec §7). */
export class SessionError extends ProtocolError {
  constructor (message = 'A message from the other side failed its integrity check, so the conversation was closed.') {
    super('bad-digest', message)
    this.name = 'SessionError'
  }
}
