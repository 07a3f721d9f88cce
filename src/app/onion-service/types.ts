/**
 * What the onion-service layer needs and produces: the tab's onion layer and
 * identity in, a {@link RendezvousLink} (a joined circuit with end-to-end
 * keys) out. Whoever holds a link holds a session with the key that proved
 * itself in the handshake, and with nothing else: the relays on the circuit
 * see only cells.
 */
import { shortPeerId } from '../../net/peer-ids.ts'
import type { ClientCircuit } from '../../core/circuit/router.ts'
import type { X25519Dh } from '../../core/crypto/index.ts'
import type { RandomSource } from '../../core/random.ts'
import type { IntroducePlaintext, IntroPointInfo, SessionKeys } from '../../core/rendezvous/index.ts'
import type { OnionService } from '../onion/index.ts'

export interface Identity {
  readonly publicKey: Uint8Array
  readonly displayName: string
  sign (message: Uint8Array): Promise<Uint8Array>
}

export interface RendezvousDeps {
  readonly onion: OnionService
  readonly identity: Identity
  readonly dh: X25519Dh
  readonly random: RandomSource
  readonly now?: () => number
  /** Told of every INTRODUCE1 that an introduction point acknowledged. */
  readonly onIntroduceSent?: (point: IntroPointInfo, data: Uint8Array) => void
}

/** A joined rendezvous circuit with its end-to-end keys. */
export interface RendezvousLink {
  readonly circuit: ClientCircuit
  readonly keys: SessionKeys
  /** Short ids of our hops (last = rendezvous point). */
  readonly hops: readonly string[]
}

/**
 * The invite an introduction claims (docs/RENDEZVOUS.md §6 "Invite proof"):
 * which one, and whether it proves a given secret for this very INTRODUCE
 * (our key, the client's key and its X), so only the caller, who knows the
 * invites it issued, decides.
 */
export interface InviteClaimCheck {
  readonly inviteId: Uint8Array
  proves (secret: Uint8Array): boolean
}

export interface IncomingIntroduction {
  readonly intro: IntroducePlaintext
  /** The invite this introduction proves, or null when it claims none (a known contact needs none). */
  readonly invite: InviteClaimCheck | null
  /** Complete the rendezvous (build to the RP, send RENDEZVOUS1). */
  accept (): Promise<RendezvousLink>
}

/** The short ids of a circuit's hops, for "show path" (never whole peer ids). */
export function hopIds (circuit: ClientCircuit): string[] {
  return circuit.path.map(h => shortPeerId(h.peerId))
}
