/**
 * Generator for Shallot's own Counter Galois Onion vectors
 * (test/vectors/cgo-shallot.json), beside arti's published ones
 * (cgo-arti.json). Ours use Shallot's 1021-byte relay body (C = 1005 bytes,
 * PRF t=1 offset 63 blocks, IV mask 0x80: src/core/crypto/cgo.ts), which
 * arti's 509-byte vectors cannot cover. Same conventions as generate.ts:
 * everything random comes from seededRandom(seed); cgo-shallot.test.ts
 * regenerates and compares, SHALLOT_UPDATE_VECTORS=1 rewrites.
 */
import { toHex } from '../../src/core/bytes.ts'
import { LinkCommand } from '../../src/core/cell/link.ts'
import { RELAY_BODY_LEN } from '../../src/core/cell/relay.ts'
import {
  CGO_KEY_MATERIAL_LEN, CGO_TAG_LEN, CGO_UIV_SEED_LEN, CgoClientCircuitCrypto, CgoRelayCircuitCrypto, cgoShape, CgoUiv
} from '../../src/core/crypto/cgo.ts'
import { type RandomSource, seededRandom } from '../../src/core/random.ts'

/** A 3-hop CGO circuit whose hops' key material is drawn from `r` in order (recorded as `hops`). */
export function threeHopCgoCircuit (r: RandomSource, shape: ReturnType<typeof cgoShape>): { client: CgoClientCircuitCrypto, relays: CgoRelayCircuitCrypto[], hops: string[] } {
  const client = new CgoClientCircuitCrypto(shape)
  const relays: CgoRelayCircuitCrypto[] = []
  const hops: string[] = []
  for (let i = 0; i < 3; i++) {
    const m = r(CGO_KEY_MATERIAL_LEN)
    hops.push(toHex(m))
    client.addHop(m)
    relays.push(new CgoRelayCircuitCrypto(m, shape))
  }
  return { client, relays, hops }
}

export const CGO_SEED = 'shallot-cgo-vector-1'

export function generateCgoVector (): Record<string, unknown> {
  const r = seededRandom(CGO_SEED)
  const shape = cgoShape(RELAY_BODY_LEN)
  const ad = LinkCommand.RELAY

  // UIV+ alone at Shallot's shape: one encryption, then UPDATE_UIV.
  const uivKeys = r(CGO_UIV_SEED_LEN)
  const uivTweak = r(CGO_TAG_LEN)
  const uivIn = r(RELAY_BODY_LEN)
  const uivNonce = r(CGO_TAG_LEN)
  const uiv = new CgoUiv(uivKeys, shape)
  const uivOut = new Uint8Array(RELAY_BODY_LEN)
  uivOut.set(uivIn)
  uiv.encrypt(uivTweak, ad, uivOut)
  const nonce = uivNonce.slice()
  uiv.update(nonce)

  const { client, relays, hops } = threeHopCgoCircuit(r, shape)
  const enc = new TextEncoder()
  /** The message C: text, then seeded padding (the tag T is the crypto's). */
  const message = (text: string): Uint8Array => {
    const c = r(shape.payloadLen)
    c.set(enc.encode(text))
    return c
  }
  const body = (c: Uint8Array): Uint8Array => { const b = new Uint8Array(RELAY_BODY_LEN); b.set(c, CGO_TAG_LEN); return b }

  const outbound = [0, 1, 2, 2].map((target) => {
    const text = `hello hop ${target}`
    const c = message(text)
    const b = body(c)
    client.encryptOutbound(b, target, ad)
    const wire = b.slice()
    let at = -1
    for (let i = 0; i < 3 && at < 0; i++) if ((relays[i] as CgoRelayCircuitCrypto).decryptOutbound(b, ad)) at = i
    if (at !== target) throw new Error('CGO vector: wrong hop recognized the cell')
    return { target, text, message: toHex(c), wire: toHex(wire), sendmeTag: toHex(client.lastOutboundTag(target)) }
  })

  const inbound = [2, 1, 0, 0].map((origin) => {
    const text = `hello client from hop ${origin}`
    const c = message(text)
    const b = body(c)
    ;(relays[origin] as CgoRelayCircuitCrypto).originateInbound(b, ad)
    for (let i = origin - 1; i >= 0; i--) (relays[i] as CgoRelayCircuitCrypto).forwardInbound(b, ad)
    const wire = b.slice()
    if (client.decryptInbound(b, ad) !== origin) throw new Error('CGO vector: client attributed the cell to the wrong hop')
    return { origin, text, message: toHex(c), wire: toHex(wire), sendmeTag: toHex(client.lastInboundTag(origin)) }
  })

  return {
    description: "Counter Galois Onion (prop 359) at Shallot's 1021-byte relay body (T 16 | C 1005; PRF t=1 offset 63 blocks; IV last byte & 0x80), AES-128, AD = link command RELAY (3). uiv: one ENC_UIV with tweak (T' = tweak, AD) then UPDATE_UIV(nonce). circuit: keyMaterial per hop (forward J|S|N, 80 bytes, then backward, 80), then 4 outbound cells (targets 0,1,2,2) and 4 inbound cells (origins 2,1,0,0), in this order, on one circuit. message is C as sent and as recognized; wire is the whole body on the client–hop0 link; sendmeTag is what both ends keep for that cell's SENDME. See docs/PROTOCOL.md.",
    seed: CGO_SEED,
    uiv: { keys: toHex(uivKeys), tweak: toHex(uivTweak), ad, input: toHex(uivIn), output: toHex(uivOut), nonce: toHex(uivNonce), outKeys: toHex(uiv.keys), outNonce: toHex(nonce) },
    keyMaterial: hops,
    outbound,
    inbound
  }
}
