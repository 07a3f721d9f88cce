/**
 * The relay's only persistent state: its libp2p private key, so that its peer id
 * and therefore its multiaddr stay the same across restarts and tabs can keep
 * the address in their configuration. Written 0600, protobuf-encoded.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'

export async function loadOrCreateKey (path: string | undefined): Promise<{ key: PrivateKey, created: boolean }> {
  if (path == null) return { key: await generateKeyPair('Ed25519'), created: true }
  try {
    const bytes = await readFile(path)
    return { key: privateKeyFromProtobuf(new Uint8Array(bytes)), created: false }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  const key = await generateKeyPair('Ed25519')
  await writeFile(path, privateKeyToProtobuf(key), { mode: 0o600, flag: 'wx' })
  return { key, created: true }
}
