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

/** The one short form of a peer id every view shows (never the whole id: views get screenshotted). */
export function shortPeerId (id: string): string {
  return id.length > 10 ? `…${id.slice(-8)}` : id
}
