/**
 * What a libp2p peer id says about its owner, for the layers above net that
 * must not import libp2p themselves (docs/ARCHITECTURE.md).
 */
import { peerIdFromString } from '@libp2p/peer-id'

/**
 * True when `signingKey` is the Ed25519 key inside `peerId`: a relay
 * descriptor binds its signing key to the transport identity it was received
 * from, so one tab cannot publish descriptors in another's name.
 */
export function peerIdHasKey (peerId: string, signingKey: Uint8Array): boolean {
  try {
    const raw = peerIdFromString(peerId).publicKey?.raw
    return raw != null && raw.length === signingKey.length && raw.every((b, i) => b === signingKey[i])
  } catch {
    return false
  }
}

/** The Ed25519 key inside an Ed25519 peer id, or null for any other (or malformed) id. */
export function ed25519KeyOfPeer (peerId: string): Uint8Array | null {
  try {
    const key = peerIdFromString(peerId).publicKey
    return key?.type === 'Ed25519' ? key.raw : null
  } catch {
    return null
  }
}

/** The one short form of a peer id every view shows (never the whole id: views get screenshotted). */
export function shortPeerId (id: string): string {
  return id.length > 10 ? `…${id.slice(-8)}` : id
}
