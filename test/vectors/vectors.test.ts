/**
 * Regenerates Shallot's seeded vectors and compares them with the committed
 * JSON. SHALLOT_UPDATE_VECTORS=1 npx vitest run test/vectors rewrites them.
 * Also checks the JSON independently: the relays decrypt the recorded wire
 * bytes from the recorded keys, and the ntor keys follow from (b, x, y).
 */
import { describe, expect, it } from 'vitest'
import { check, once } from './vector-file.ts'
import { fromHex, toHex } from '../../src/core/bytes.ts'
import { ntorClientCreate, ntorClientFinish, ntorServerRespond } from '../../src/core/crypto/ntor.ts'
import { CgoClientCircuitCrypto, CgoRelayCircuitCrypto, cgoShape } from '../../src/core/crypto/cgo.ts'
import { LinkCommand } from '../../src/core/cell/link.ts'
import { decodeRelayBody, RELAY_BODY_LEN, RELAY_TAG_LEN } from '../../src/core/cell/relay.ts'
import { generateNtorVector, generateOnwardVector, generateRelayCryptoVector } from './generate.ts'
import { ntorServerRespond as respond } from '../../src/core/crypto/ntor.ts'
import { onwardKeys, openOnwardHeader, splitOnwardHdata } from '../../src/core/crypto/onward.ts'
import { x25519Shared } from '../../src/core/crypto/primitives.ts'


describe('seeded vectors', () => {
  it('ntor-shallot.json', () => {
    const v = check('./ntor-shallot.json', generateNtorVector()) as Record<string, string>
    const relay = { nodeId: fromHex(v.nodeId as string), onionKey: fromHex(v.B as string), onionSecret: fromHex(v.b as string) }
    const { state, onionskin } = ntorClientCreate(relay, once(v.x as string))
    expect(toHex(onionskin)).toBe(v.onionskin)
    const s = ntorServerRespond(relay, onionskin, once(v.y as string))
    expect(toHex(s.reply)).toBe(v.reply)
    expect(toHex(ntorClientFinish(state, s.reply))).toBe(v.keys)
  })

  type Cell = { target?: number, origin?: number, text: string, plaintext: string, wire: string, sendmeTag: string }
  it('relay-crypto.json: fresh relays and a fresh client take the recorded CGO wire bytes to the recorded relay cells and SENDME tags', () => {
    const v = check('./relay-crypto.json', generateRelayCryptoVector()) as unknown as { keyMaterial: string[], outbound: Cell[], inbound: Cell[] }
    const shape = cgoShape(RELAY_BODY_LEN)
    const ad = LinkCommand.RELAY
    const client = new CgoClientCircuitCrypto(shape)
    const relays = v.keyMaterial.map((m) => { client.addHop(fromHex(m)); return new CgoRelayCircuitCrypto(fromHex(m), shape) })
    const message = (hex: string): string => hex.slice(2 * RELAY_TAG_LEN)
    for (const c of v.outbound) {
      const body = fromHex(c.wire)
      let at = -1
      for (let i = 0; i < relays.length && at < 0; i++) if (relays[i]?.decryptOutbound(body, ad)) at = i
      expect(at).toBe(c.target)
      expect(message(toHex(body))).toBe(message(c.plaintext))
      expect(new TextDecoder().decode(decodeRelayBody(body).data)).toBe(c.text)
      expect(toHex(relays[at]?.lastOutboundTag() ?? new Uint8Array())).toBe(c.sendmeTag)
    }
    for (const c of v.inbound) {
      const body = fromHex(c.wire)
      const origin = client.decryptInbound(body, ad)
      expect(origin).toBe(c.origin)
      expect(message(toHex(body))).toBe(message(c.plaintext))
      expect(new TextDecoder().decode(decodeRelayBody(body).data)).toBe(c.text)
      expect(toHex(client.lastInboundTag(origin))).toBe(c.sendmeTag)
    }
  })

  it('onward.json: each relay, from its own b and the X it receives, opens its slot and finds the next hop\'s hdata', () => {
    type Hop = { b: string, B: string, nodeId: string, peerId: string, X: string, encKey: string, macKey: string, hdata: string, slot: { kind: string, linkSpec?: string } }
    const v = check('./onward.json', generateOnwardVector()) as { hops: Hop[] }
    v.hops.forEach((h, i) => {
      const { onionskin, blob, mac } = splitOnwardHdata(fromHex(h.hdata))
      expect(toHex(onionskin.subarray(64))).toBe(h.X)
      const keys = onwardKeys(x25519Shared(fromHex(h.b), fromHex(h.X)), fromHex(h.nodeId), fromHex(h.B), fromHex(h.X)) // EXP(X,b)
      expect(toHex(keys.enc)).toBe(h.encKey)
      expect(toHex(keys.mac)).toBe(h.macKey)
      // The onionskin is an ordinary ntor one for this relay.
      expect(() => respond({ nodeId: fromHex(h.nodeId), onionKey: fromHex(h.B), onionSecret: fromHex(h.b) }, onionskin, once('11'.repeat(32)))).not.toThrow()
      const step = openOnwardHeader(keys, blob, mac)
      if (i < v.hops.length - 1) {
        expect(step.kind === 'extend' && new TextDecoder().decode(step.linkSpec)).toBe(v.hops[i + 1]!.peerId)
        expect(step.kind === 'extend' && toHex(step.hdata)).toBe(v.hops[i + 1]!.hdata)
      } else {
        expect(step.kind).toBe('last')
      }
    })
  })
})
