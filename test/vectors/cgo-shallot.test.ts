/**
 * Shallot's CGO vectors (cgo-shallot.json, from generate-cgo.ts): regenerated
 * and compared with the committed file, then checked independently: fresh
 * relays and a fresh client, built from the recorded keys alone, take the
 * recorded wire bytes to the recorded messages and SENDME tags.
 */
import { describe, expect, it } from 'vitest'
import { check } from './vector-file.ts'
import { fromHex, toHex } from '../../src/core/bytes.ts'
import { RELAY_BODY_LEN } from '../../src/core/cell/relay.ts'
import { CGO_TAG_LEN, CgoClientCircuitCrypto, CgoRelayCircuitCrypto, cgoShape, CgoUiv } from '../../src/core/crypto/cgo.ts'
import { generateCgoVector } from './generate-cgo.ts'

type Cell = { target?: number, origin?: number, message: string, wire: string, sendmeTag: string }
interface CgoVector {
  uiv: { keys: string, tweak: string, ad: number, input: string, output: string, nonce: string, outKeys: string, outNonce: string }
  keyMaterial: string[]
  outbound: Cell[]
  inbound: Cell[]
}

describe('Shallot CGO vectors (1021-byte body)', () => {
  const shape = cgoShape(RELAY_BODY_LEN)
  const v = check('./cgo-shallot.json', generateCgoVector()) as unknown as CgoVector

  it('cgo-shallot.json: UIV+ and its key update at the 1021-byte shape', () => {
    const uiv = new CgoUiv(fromHex(v.uiv.keys), shape)
    const body = new Uint8Array(RELAY_BODY_LEN)
    body.set(fromHex(v.uiv.input))
    uiv.encrypt(fromHex(v.uiv.tweak), v.uiv.ad, body)
    expect(toHex(body)).toBe(v.uiv.output)
    const nonce = fromHex(v.uiv.nonce)
    uiv.update(nonce)
    expect(toHex(nonce)).toBe(v.uiv.outNonce)
    expect(toHex(uiv.keys)).toBe(v.uiv.outKeys)
  })

  it('cgo-shallot.json: the recorded wire bytes reach the recorded hop with the recorded message and SENDME tag', () => {
    const client = new CgoClientCircuitCrypto(shape)
    const relays = v.keyMaterial.map((m) => { client.addHop(fromHex(m)); return new CgoRelayCircuitCrypto(fromHex(m), shape) })
    for (const c of v.outbound) {
      const body = fromHex(c.wire)
      let at = -1
      for (let i = 0; i < relays.length && at < 0; i++) if (relays[i]?.decryptOutbound(body, 3)) at = i
      expect(at).toBe(c.target)
      expect(toHex(body.subarray(CGO_TAG_LEN))).toBe(c.message)
      expect(toHex(relays[at]?.lastOutboundTag() ?? new Uint8Array())).toBe(c.sendmeTag)
    }
    for (const c of v.inbound) {
      const body = fromHex(c.wire)
      const origin = client.decryptInbound(body, 3)
      expect(origin).toBe(c.origin)
      expect(toHex(body.subarray(CGO_TAG_LEN))).toBe(c.message)
      expect(toHex(client.lastInboundTag(origin))).toBe(c.sendmeTag)
    }
  })
})
