/**
 * Generators for Shallot's own seeded test vectors (test/vectors/*.json).
 *
 * Everything random comes from `seededRandom(seed)` (ChaCha20 keystream under
 * SHA-256(seed), src/core/random.ts), so the output is a pure function of the
 * code and the seed. vectors.test.ts regenerates these and compares them with
 * the committed JSON; run with SHALLOT_UPDATE_VECTORS=1 to rewrite the files
 * after an intentional wire-format change (and say so in docs/PROTOCOL.md).
 */
import { toHex } from '../../src/core/bytes.ts'
import { encodeRelayBody, RELAY_DIGEST_LEN, RELAY_DIGEST_OFFSET, RelayCommand } from '../../src/core/cell/relay.ts'
import {
  generateOnionKey, nodeIdFromIdentityKey, ntorClientCreate, ntorClientFinish, ntorServerRespond, SHALLOT_NTOR
} from '../../src/core/crypto/ntor.ts'
import {
  ClientCircuitCrypto, deriveRelayKeys, RELAY_KEY_MATERIAL_LEN, RelayCircuitCrypto
} from '../../src/core/crypto/relay-crypto.ts'
import { type RandomSource, seededRandom } from '../../src/core/random.ts'

/** Wrap a random source so every output is also recorded (copies, since callers may wipe them). */
function recording (r: RandomSource): { random: RandomSource, log: Uint8Array[] } {
  const log: Uint8Array[] = []
  return { log, random: (n) => { const b = r(n); log.push(b.slice()); return b } }
}

export const NTOR_SEED = 'shallot-ntor-vector-1'

export function generateNtorVector (): Record<string, unknown> {
  const r = seededRandom(NTOR_SEED)
  const identityKey = r(32)
  const { onionSecret, onionKey } = generateOnionKey(r)
  const relay = { nodeId: nodeIdFromIdentityKey(identityKey), onionKey, onionSecret }
  const c = recording(r)
  const { state, onionskin } = ntorClientCreate(relay, c.random)
  const X = state.X
  const s = recording(r)
  const { reply, keys } = ntorServerRespond(relay, onionskin, s.random)
  const clientKeys = ntorClientFinish(state, reply)
  if (toHex(clientKeys) !== toHex(keys)) throw new Error('ntor vector: client and relay disagree')
  const k = deriveRelayKeys(keys)
  return {
    description: 'Shallot ntor handshake (tor-spec §5.1.4 with SHALLOT_NTOR parameters); all randomness from seededRandom(seed) in the order listed. See docs/PROTOCOL.md.',
    seed: NTOR_SEED,
    protoId: SHALLOT_NTOR.protoId,
    identityKey: toHex(identityKey),
    nodeId: toHex(relay.nodeId),
    b: toHex(onionSecret),
    B: toHex(onionKey),
    x: toHex(c.log[0] as Uint8Array),
    X: toHex(X),
    y: toHex(s.log[0] as Uint8Array),
    Y: toHex(reply.subarray(0, 32)),
    onionskin: toHex(onionskin),
    reply: toHex(reply),
    keys: toHex(keys),
    relayKeys: { Df: toHex(k.df), Db: toHex(k.db), Kf: toHex(k.kf), Kb: toHex(k.kb), Nf: toHex(k.nf), Nb: toHex(k.nb) }
  }
}

export const RELAY_SEED = 'shallot-relay-crypto-vector-1'

export function generateRelayCryptoVector (): Record<string, unknown> {
  const r = seededRandom(RELAY_SEED)
  const client = new ClientCircuitCrypto()
  const relays: RelayCircuitCrypto[] = []
  const hops: string[] = []
  for (let i = 0; i < 3; i++) {
    const m = r(RELAY_KEY_MATERIAL_LEN)
    hops.push(toHex(m))
    client.addHop(m)
    relays.push(new RelayCircuitCrypto(m))
  }
  const enc = new TextEncoder()
  const digestOf = (b: Uint8Array): string => toHex(b.subarray(RELAY_DIGEST_OFFSET, RELAY_DIGEST_OFFSET + RELAY_DIGEST_LEN))

  const outbound = [0, 1, 2].map((target) => {
    const text = `hello hop ${target}`
    const plaintext = encodeRelayBody({ command: RelayCommand.DATA, streamId: 1, data: enc.encode(text) }, r)
    const body = plaintext.slice()
    client.encryptOutbound(body, target)
    const wire = body.slice()
    let at = -1
    for (let i = 0; i < 3 && at < 0; i++) if ((relays[i] as RelayCircuitCrypto).decryptOutbound(body)) at = i
    if (at !== target) throw new Error('relay vector: wrong hop recognized the cell')
    return { target, text, plaintext: toHex(plaintext), digest: digestOf(body), wire: toHex(wire) }
  })

  const inbound = [2, 1, 0].map((origin) => {
    const text = `hello client from hop ${origin}`
    const plaintext = encodeRelayBody({ command: RelayCommand.DATA, streamId: 1, data: enc.encode(text) }, r)
    const body = plaintext.slice()
    ;(relays[origin] as RelayCircuitCrypto).originateInbound(body)
    for (let i = origin - 1; i >= 0; i--) (relays[i] as RelayCircuitCrypto).forwardInbound(body)
    const wire = body.slice()
    if (client.decryptInbound(body) !== origin) throw new Error('relay vector: client attributed the cell to the wrong hop')
    return { origin, text, plaintext: toHex(plaintext), digest: digestOf(body), wire: toHex(wire) }
  })

  return {
    description: 'Relay crypto (tor-spec §6.1 tor1 with ChaCha20/SHA-256) through 3 hops: keyMaterial per hop (Df|Db|Kf|Kb|Nf|Nb), then 3 outbound cells (one per target hop) and 3 inbound cells, in this order, on one circuit. plaintext has digest 0; digest is what the recognizing side sees; wire is the body on the client–hop0 link. See docs/PROTOCOL.md.',
    seed: RELAY_SEED,
    keyMaterial: hops,
    outbound,
    inbound
  }
}
