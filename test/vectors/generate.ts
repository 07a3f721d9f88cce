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
import { LinkCommand } from '../../src/core/cell/link.ts'
import { encodeRelayBody, RELAY_BODY_LEN, RELAY_TAG_LEN, RelayCommand } from '../../src/core/cell/relay.ts'
import {
  generateOnionKey, nodeIdFromIdentityKey, ntorClientCreate, ntorClientFinish, ntorServerRespond, SHALLOT_NTOR
} from '../../src/core/crypto/ntor.ts'
import {
  CGO_STATE_SEED_LEN, CGO_UIV_SEED_LEN, type CgoRelayCircuitCrypto, cgoShape
} from '../../src/core/crypto/cgo.ts'
import { joinOnwardHdata, onwardKeys, openOnwardHeader, sealOnwardHeader, splitOnwardHdata } from '../../src/core/crypto/onward.ts'
import { x25519Shared } from '../../src/core/crypto/primitives.ts'
import { threeHopCgoCircuit } from './generate-cgo.ts'
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
  /** One direction's CGO seed: J = KB | KU, S = K | B (each AES-128 key | POLYVAL key), N (crypto/cgo.ts). */
  const split = (d: Uint8Array): Record<string, string> => ({
    KB: toHex(d.subarray(0, 16)), KU: toHex(d.subarray(16, 32)), K: toHex(d.subarray(32, 48)), B: toHex(d.subarray(48, 64)), N: toHex(d.subarray(CGO_UIV_SEED_LEN, CGO_STATE_SEED_LEN))
  })
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
    cgoKeys: { forward: split(keys.subarray(0, CGO_STATE_SEED_LEN)), backward: split(keys.subarray(CGO_STATE_SEED_LEN)) }
  }
}

export const RELAY_SEED = 'shallot-relay-crypto-vector-2'

/** Relay cells on the wire: CGO (crypto/cgo.ts) over whole relay bodies from encodeRelayBody, through 3 hops. */
export function generateRelayCryptoVector (): Record<string, unknown> {
  const r = seededRandom(RELAY_SEED)
  const shape = cgoShape(RELAY_BODY_LEN)
  const ad = LinkCommand.RELAY
  const { client, relays, hops } = threeHopCgoCircuit(r, shape)
  const enc = new TextEncoder()
  /** What the recognizing side reads from T: the hop's nonce, not part of the message. */
  const message = (b: Uint8Array): string => toHex(b.subarray(RELAY_TAG_LEN))

  const outbound = [0, 1, 2].map((target) => {
    const text = `hello hop ${target}`
    const plaintext = encodeRelayBody({ command: RelayCommand.DATA, streamId: 1, data: enc.encode(text) }, r)
    const body = plaintext.slice()
    client.encryptOutbound(body, target, ad)
    const wire = body.slice()
    let at = -1
    for (let i = 0; i < 3 && at < 0; i++) if ((relays[i] as CgoRelayCircuitCrypto).decryptOutbound(body, ad)) at = i
    if (at !== target || message(body) !== message(plaintext)) throw new Error('relay vector: wrong hop recognized the cell')
    return { target, text, plaintext: toHex(plaintext), wire: toHex(wire), sendmeTag: toHex(client.lastOutboundTag(target)) }
  })

  const inbound = [2, 1, 0].map((origin) => {
    const text = `hello client from hop ${origin}`
    const plaintext = encodeRelayBody({ command: RelayCommand.DATA, streamId: 1, data: enc.encode(text) }, r)
    const body = plaintext.slice()
    ;(relays[origin] as CgoRelayCircuitCrypto).originateInbound(body, ad)
    for (let i = origin - 1; i >= 0; i--) (relays[i] as CgoRelayCircuitCrypto).forwardInbound(body, ad)
    const wire = body.slice()
    if (client.decryptInbound(body, ad) !== origin || message(body) !== message(plaintext)) throw new Error('relay vector: client attributed the cell to the wrong hop')
    return { origin, text, plaintext: toHex(plaintext), wire: toHex(wire), sendmeTag: toHex(client.lastInboundTag(origin)) }
  })

  return {
    description: 'Relay cells through 3 hops with CGO (prop 359; crypto/cgo.ts at the 1021-byte body, AD = link command RELAY (3)): keyMaterial per hop (160 bytes: forward J|S|N, then backward), then 3 outbound cells (one per target hop) and 3 inbound cells, in this order, on one circuit. plaintext is the body from encodeRelayBody (T zero | command | stream id | length | data | random padding); the recognizing side sees it with T replaced by the hop nonce; wire is the body on the client–hop0 link; sendmeTag is what both ends keep for that cell. See docs/PROTOCOL.md.',
    seed: RELAY_SEED,
    keyMaterial: hops,
    outbound,
    inbound
  }
}

export const ONWARD_SEED = 'shallot-onward-vector-1'

/**
 * An onward header (docs/PROTOCOL.md §7 "Building with an onward header") for a 3-hop path: the relays'
 * keys, the client's ephemerals, each hop's sealing keys, the CREATE hdata
 * each hop receives, and what each hop's slot says.
 */
export function generateOnwardVector (): Record<string, unknown> {
  const r = seededRandom(ONWARD_SEED)
  const relays = [0, 1, 2].map((i) => {
    const identityKey = r(32)
    const { onionSecret, onionKey } = generateOnionKey(r)
    return { peerId: `12D3KooWonwardVectorHop${i}`, nodeId: nodeIdFromIdentityKey(identityKey), onionKey, onionSecret }
  })
  const clients = relays.map((relay) => {
    const c = recording(r)
    const { state, onionskin } = ntorClientCreate(relay, c.random)
    const xb = x25519Shared(state.x, relay.onionKey) // EXP(B,x)
    return { x: c.log[0] as Uint8Array, X: state.X, onionskin, keys: onwardKeys(xb, relay.nodeId, relay.onionKey, state.X) }
  })
  const pad = recording(r)
  const header = sealOnwardHeader(clients.map((c, i) => ({ keys: c.keys, linkSpec: new TextEncoder().encode(relays[i]!.peerId), onionskin: c.onionskin })), pad.random)
  const hops: Array<Record<string, unknown>> = []
  let hdata = joinOnwardHdata(clients[0]!.onionskin, header)
  for (let i = 0; i < 3; i++) {
    const { blob, mac } = splitOnwardHdata(hdata)
    const step = openOnwardHeader(clients[i]!.keys, blob, mac)
    hops.push({
      b: toHex(relays[i]!.onionSecret),
      B: toHex(relays[i]!.onionKey),
      nodeId: toHex(relays[i]!.nodeId),
      peerId: relays[i]!.peerId,
      x: toHex(clients[i]!.x),
      X: toHex(clients[i]!.X),
      encKey: toHex(clients[i]!.keys.enc),
      macKey: toHex(clients[i]!.keys.mac),
      hdata: toHex(hdata),
      slot: step.kind === 'extend' ? { kind: 'extend', linkSpec: new TextDecoder().decode(step.linkSpec) } : { kind: 'last' }
    })
    if (step.kind === 'extend') hdata = step.hdata
  }
  return {
    description: 'Onward header (pipelined build, docs/PROTOCOL.md §7 "Building with an onward header") for a 3-hop path; all randomness from seededRandom(seed) in this order: per relay identity key and onion key; per hop the client ephemeral x; then the last hop\'s padding. hops[i].hdata is the CREATE hdata hop i receives (onionskin | blob | MAC).',
    seed: ONWARD_SEED,
    padding: toHex(pad.log[0] as Uint8Array),
    hops
  }
}
