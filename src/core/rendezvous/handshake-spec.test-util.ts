/**
 * docs/RENDEZVOUS.md §6 (version 2) written out again straight from the spec
 * with @noble primitives, independently of introduce.ts and handshake.ts:
 * the client's INTRODUCE MAC, the INTRODUCE encryption, the session keys and
 * the service's key confirmation. Tests and the vector check use it to
 * recompute what the code produced, and the deniability tests use it as the
 * simulators (each party forging the other's messages with its own secrets
 * only). Test-only.
 */
import { chacha20poly1305 } from '@noble/ciphers/chacha.js'
import { x25519 } from '@noble/curves/ed25519.js'
import { hkdf } from '@noble/hashes/hkdf.js'
import { hmac } from '@noble/hashes/hmac.js'
import { sha256 } from '@noble/hashes/sha2.js'

const te = new TextEncoder()
const cat = (...p: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(p.reduce((n, x) => n + x.length, 0))
  let o = 0
  for (const x of p) { out.set(x, o); o += x.length }
  return out
}
const u64 = (n: number): Uint8Array => { const b = new Uint8Array(8); new DataView(b.buffer).setBigUint64(0, BigInt(n)); return b }

/** X25519 (RFC 7748 §5). */
export const dh = (secret: Uint8Array, pub: Uint8Array): Uint8Array => x25519.getSharedSecret(secret, pub)
export const pub = (secret: Uint8Array): Uint8Array => x25519.getPublicKey(secret)

/** Static key: s = SHA-256("shallot-dh-static-v1" | σ), σ = Sign(K, "shallot-dh-static-seed-v1" | K); cert message "shallot-dh-cert-v1" | K | S. */
export const staticSecretFrom = (sigma: Uint8Array): Uint8Array => sha256(cat(te.encode('shallot-dh-static-v1'), sigma))
export const staticSeedMessage = (K: Uint8Array): Uint8Array => cat(te.encode('shallot-dh-static-seed-v1'), K)
export const certMessage = (K: Uint8Array, S: Uint8Array): Uint8Array => cat(te.encode('shallot-dh-cert-v1'), K, S)

export interface IntroduceFields {
  rp: { peerId: string, nodeId: Uint8Array, onionKey: Uint8Array }
  cookie: Uint8Array, B: Uint8Array, SB: Uint8Array, certB: Uint8Array, name: string, timestamp: number
  /** The invite-proof field's content (RENDEZVOUS.md §6 "Invite proof"); none: flag 0 and 48 zero bytes. */
  invite?: { inviteId: Uint8Array, proof: Uint8Array } | null
}

/** The plaintext before the MAC: version 2 | RP | cookie | B | S_B | cert_B | name | u64 timestamp | invite-proof field. */
export function introduceBody (f: IntroduceFields): Uint8Array {
  const peer = te.encode(f.rp.peerId)
  const name = te.encode(f.name)
  const invite = f.invite == null ? new Uint8Array(1 + 16 + 32) : cat(Uint8Array.of(1), f.invite.inviteId, f.invite.proof)
  return cat(Uint8Array.of(2, peer.length), peer, f.rp.nodeId, f.rp.onionKey, f.cookie, f.B, f.SB, f.certB, Uint8Array.of(name.length), name, u64(f.timestamp), invite)
}

/** mac = HMAC-SHA256(HKDF(es | ss, SHA-256("shallot-hs-introduce-auth-v2" | A | authId | X | S), "shallot-hs-introduce-mac-key-v2", 32), "shallot-hs-introduce-v2" | A | authId | X | body). */
export function introduceMac (es: Uint8Array, ss: Uint8Array, A: Uint8Array, authId: Uint8Array, X: Uint8Array, S: Uint8Array, body: Uint8Array): Uint8Array {
  const k = hkdf(sha256, cat(es, ss), sha256(cat(te.encode('shallot-hs-introduce-auth-v2'), A, authId, X, S)), te.encode('shallot-hs-introduce-mac-key-v2'), 32)
  return hmac(sha256, k, cat(te.encode('shallot-hs-introduce-v2'), A, authId, X, body))
}

/** INTRODUCE1 = authId | X | ChaCha20-Poly1305(k_intro, 0^12, body | mac, AAD = authId | X), k_intro from X25519(x, S) (unchanged since v1). */
export function sealIntroduce (shared: Uint8Array, authId: Uint8Array, X: Uint8Array, S: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const k = hkdf(sha256, shared, sha256(cat(te.encode('shallot-hs-intro-v1'), authId, X, S)), te.encode('shallot-hs-intro-key-v1'), 32)
  return cat(authId, X, chacha20poly1305(k, new Uint8Array(12), cat(authId, X)).encrypt(plaintext))
}
export function openIntroduceBody (shared: Uint8Array, data: Uint8Array, S: Uint8Array): Uint8Array {
  const authId = data.subarray(0, 32); const X = data.subarray(32, 64)
  const k = hkdf(sha256, shared, sha256(cat(te.encode('shallot-hs-intro-v1'), authId, X, S)), te.encode('shallot-hs-intro-key-v1'), 32)
  return chacha20poly1305(k, new Uint8Array(12), cat(authId, X)).decrypt(data.subarray(64))
}

export interface E2eTranscript { A: Uint8Array, B: Uint8Array, S: Uint8Array, SB: Uint8Array, X: Uint8Array, Y: Uint8Array, cookie: Uint8Array }

/** th, keys = HKDF(ee | es | se, th, "shallot-e2e-keys-v2", 96) and reply = Y | HMAC(kConfirm, "shallot-e2e-service-confirm-v2" | th). */
export function e2e (ee: Uint8Array, es: Uint8Array, se: Uint8Array, t: E2eTranscript): { th: Uint8Array, kC2S: Uint8Array, kS2C: Uint8Array, reply: Uint8Array } {
  const th = sha256(cat(te.encode('shallot-e2e-v2'), t.A, t.B, t.S, t.SB, t.X, t.Y, t.cookie))
  const keys = hkdf(sha256, cat(ee, es, se), th, te.encode('shallot-e2e-keys-v2'), 96)
  const confirm = hmac(sha256, keys.subarray(0, 32), cat(te.encode('shallot-e2e-service-confirm-v2'), th))
  return { th, kC2S: keys.slice(32, 64), kS2C: keys.slice(64, 96), reply: cat(t.Y, confirm) }
}
