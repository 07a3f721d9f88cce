/**
 * Test helper: a fresh Ed25519 libp2p identity (peer id, raw public key,
 * signer), for tests above net that need peer ids which really embed their
 * key (app may not import libp2p itself; docs/ARCHITECTURE.md). Test-only.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'

export interface TestPeerIdentity {
  readonly peerId: string
  readonly publicKey: Uint8Array
  sign(message: Uint8Array): Promise<Uint8Array>
}

export async function testPeerIdentity (): Promise<TestPeerIdentity> {
  const key = await generateKeyPair('Ed25519')
  return { peerId: peerIdFromPrivateKey(key).toString(), publicKey: key.publicKey.raw, sign: async (m) => await key.sign(m) }
}
