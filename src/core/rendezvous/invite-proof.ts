/**
 * Invite proofs (docs/RENDEZVOUS.md §6 "Invite proof"): who may ask a
 * service for a first contact. Every invite link carries a fresh secret
 * (core/identity/invite.ts); the service keeps the invites it issued, and an
 * INTRODUCE from a key it does not know yet must prove one of them. The
 * threat: today's invite is a permanent capability, and anyone who ever saw
 * a link (or learnt the service key any other way) can fill our request list;
 * with a proof, only holders of a live, unrevoked invite can.
 *
 * The anchor is rend-spec-v3 §7 [CLIENT-AUTH] (client authorization): a
 * service gives each allowed client a secret out of band and answers only
 * those who prove it. Tor proves it by decrypting the descriptor; here the
 * descriptor stays public to the network of contacts, so the proof rides in
 * the encrypted INTRODUCE body instead, as the authorization data of
 * rend-spec v2 §1.8 (INTRODUCE version 3: AUTHT, AUTHL, AUTHD) did:
 *
 *   proof = HMAC-SHA256(secret, "shallot-invite-proof-v1" | A | B | X | inviteId)   (RFC 2104)
 *
 * A is the service's identity key, B the client's, X the INTRODUCE's fresh
 * ephemeral key. Binding A means a proof cannot be shown to another service;
 * binding X means it cannot be reused in another INTRODUCE (the replay cache
 * refuses the same X twice, spec §6); binding B means whoever watched one
 * INTRODUCE decrypt cannot move the proof to another identity. The proof is
 * its own field, beside the client's signature, so a change of how the
 * client proves its identity key does not touch it.
 */
import { concatBytes, ctEqual } from '../bytes.ts'
import { hmacSha256 } from '../crypto/primitives.ts'
import { INVITE_ID_LEN, INVITE_SECRET_LEN } from '../identity/invite.ts'
import { ED25519_KEY_LEN, INVITE_PROOF_LEN, X25519_LEN } from './constants.ts'
import { checkLen, utf8 } from './wire.ts'

const L_PROOF = utf8('shallot-invite-proof-v1')

/** What an INTRODUCE claims about an invite: which one, and the proof of its secret. */
export interface InviteClaim {
  readonly inviteId: Uint8Array
  readonly proof: Uint8Array
}

/** The transcript a proof is bound to (see the module comment). */
export interface InviteProofContext {
  /** A: the service's Ed25519 identity key. */
  readonly serviceKey: Uint8Array
  /** B: the client's Ed25519 identity key. */
  readonly clientKey: Uint8Array
  /** X: the INTRODUCE's ephemeral X25519 key. */
  readonly clientEphemeral: Uint8Array
}

function proofInput (inviteId: Uint8Array, c: InviteProofContext): Uint8Array {
  checkLen(inviteId, INVITE_ID_LEN, 'invite id')
  checkLen(c.serviceKey, ED25519_KEY_LEN, 'service key')
  checkLen(c.clientKey, ED25519_KEY_LEN, 'client key')
  checkLen(c.clientEphemeral, X25519_LEN, 'client ephemeral key')
  return concatBytes(L_PROOF, c.serviceKey, c.clientKey, c.clientEphemeral, inviteId)
}

/** The proof a client puts in its INTRODUCE for the invite (`inviteId`, `secret`) it holds. RangeError on bad lengths. */
export function inviteProof (inviteId: Uint8Array, secret: Uint8Array, c: InviteProofContext): Uint8Array {
  checkLen(secret, INVITE_SECRET_LEN, 'invite secret')
  return hmacSha256(secret, proofInput(inviteId, c))
}

/** True when `claim` proves `secret` for this transcript (constant-time comparison). */
export function verifyInviteProof (claim: InviteClaim, secret: Uint8Array, c: InviteProofContext): boolean {
  if (claim.proof.length !== INVITE_PROOF_LEN || secret.length !== INVITE_SECRET_LEN || claim.inviteId.length !== INVITE_ID_LEN) return false
  return ctEqual(inviteProof(claim.inviteId, secret, c), claim.proof)
}
