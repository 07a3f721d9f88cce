/**
 * arti's published Counter Galois Onion vectors (test/vectors/cgo-arti.json,
 * provenance in the file), reproduced by src/core/crypto/cgo.ts with Tor's
 * 509-byte body. Each block mirrors one of arti's tests in
 * crates/tor-proto/src/crypto/cell/cgo.rs, named after it.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { Polyval } from '@noble/ciphers/_polyval.js'
import { fromHex, toHex } from '../../src/core/bytes.ts'
import { CgoEt, CgoPrf, CgoState, CgoUiv, cgoShape, TOR_CELL_BODY_LEN } from '../../src/core/crypto/cgo.ts'

interface St { k: string, n: string, tPrime: string }
interface ArtiVectors {
  et: Array<{ encrypt: boolean, keys: string, tweak: string, input: string, output: string }>
  prf: Array<{ keys: string, t: number, tweak: string, output: string }>
  uiv: Array<{ encrypt: boolean, keys: string, tweak: string, left: string, right: string, outLeft: string, outRight: string }>
  uivUpdate: Array<{ keys: string, nonce: string, outKeys: string, outNonce: string }>
  relay: Array<{ inbound: boolean, state: St, ad: string, t: string, c: string, outState: St, outT: string, outC: string }>
  relayOriginate: Array<{ state: St, ad: string, m: string, outState: St, outT: string, outC: string }>
  clientOriginate: Array<{ hops: St[], hop: number, ad: string, m: string, outHops: St[], outT: string, outC: string }>
}

const V = JSON.parse(readFileSync(new URL('./cgo-arti.json', import.meta.url), 'utf8')) as ArtiVectors
const TOR = cgoShape(TOR_CELL_BODY_LEN)

function state (s: St): CgoState {
  const st = new CgoState(fromHex(s.k + s.n), TOR)
  st.tag.set(fromHex(s.tPrime))
  return st
}
function expectState (st: CgoState, ex: St): void {
  expect(toHex(st.uiv.keys)).toBe(ex.k)
  expect(toHex(st.nonce)).toBe(ex.n)
  expect(toHex(st.tag)).toBe(ex.tPrime)
}
/** A 4-byte-aligned copy of T | C (cgo.ts works on aligned bodies). */
const body = (hex: string): Uint8Array => { const b = new Uint8Array(TOR_CELL_BODY_LEN); b.set(fromHex(hex)); return b }

describe('arti CGO vectors (prop 359, Tor 509-byte body)', () => {
  it('every group is present', () => {
    expect([V.et.length, V.prf.length, V.uiv.length, V.uivUpdate.length, V.relay.length, V.relayOriginate.length, V.clientOriginate.length])
      .toEqual([20, 20, 12, 10, 12, 6, 14])
  })

  it('testvec_polyval: RFC 8452 appendix A through noble\'s POLYVAL', () => {
    const h = new Polyval(fromHex('25629347589242761d31f826ba4b757b'))
    h.update(fromHex('4f4f95668c83dfb6401762bb2d01a262d1a24ddd2721d006bbe45f20d3c9f362'))
    expect(toHex(h.digest())).toBe('f7a3b47b846119fae5b7866cf5e5b77e')
  })

  it('testvec_et: LRW2 tweakable block cipher', () => {
    for (const v of V.et) {
      const et = new CgoEt(fromHex(v.keys))
      const block = fromHex(v.input)
      if (v.encrypt) et.encrypt(fromHex(v.tweak), block)
      else et.decrypt(fromHex(v.tweak), block)
      expect(toHex(block)).toBe(v.output)
    }
  })

  it('testvec_prf: t=0 payload stream and t=1 key stream', () => {
    for (const v of V.prf) {
      const prf = new CgoPrf(fromHex(v.keys), TOR)
      const expected = fromHex(v.output)
      if (v.t === 0) {
        const data = new Uint8Array(TOR.payloadLen)
        prf.xorN0(fromHex(v.tweak), 0, data)
        expect(toHex(data)).toBe(v.output)
      } else {
        expect(toHex(prf.n1(fromHex(v.tweak), expected.length))).toBe(v.output)
      }
    }
  })

  it('testvec_uiv: UIV+ encrypt and decrypt', () => {
    for (const v of V.uiv) {
      const uiv = new CgoUiv(fromHex(v.keys), TOR)
      const tweak = fromHex(v.tweak)
      const cell = body(v.left + v.right)
      if (v.encrypt) uiv.encrypt(tweak.subarray(0, 16), tweak[16] as number, cell)
      else uiv.decrypt(tweak.subarray(0, 16), tweak[16] as number, cell)
      expect(toHex(cell)).toBe(v.outLeft + v.outRight)
    }
  })

  it('testvec_uiv_update: new keys and nonce from PRF(S, N, 1)', () => {
    for (const v of V.uivUpdate) {
      const uiv = new CgoUiv(fromHex(v.keys), TOR)
      const nonce = fromHex(v.nonce)
      uiv.update(nonce)
      expect(toHex(nonce)).toBe(v.outNonce)
      expect(toHex(uiv.keys)).toBe(v.outKeys)
    }
  })

  it('testvec_cgo_relay: a relay layer, outbound (decrypt_outbound) and inbound (encrypt_inbound)', () => {
    for (const v of V.relay) {
      const st = state(v.state)
      const cell = body(v.t + v.c)
      const ad = fromHex(v.ad)[0] as number
      if (v.inbound) st.relayEncryptInbound(ad, cell)
      else st.relayDecryptOutbound(ad, cell)
      expect(toHex(cell)).toBe(v.outT + v.outC)
      expectState(st, v.outState)
    }
  })

  it('testvec_cgo_relay_originate: a relay originates an inbound cell', () => {
    for (const v of V.relayOriginate) {
      const st = state(v.state)
      const cell = body('00'.repeat(16) + v.m)
      st.relayOriginate(fromHex(v.ad)[0] as number, cell)
      expect(toHex(cell)).toBe(v.outT + v.outC)
      expectState(st, v.outState)
    }
  })

  it('testvec_cgo_client_originate: the client sends to hop 1, 2 or 3 of 3', () => {
    for (const v of V.clientOriginate) {
      const layers = v.hops.map(state)
      const ad = fromHex(v.ad)[0] as number
      const cell = body('00'.repeat(16) + v.m)
      const target = v.hop - 1 // arti's vectors count hops from 1
      ;(layers[target] as CgoState).clientOriginate(ad, cell)
      for (let i = target - 1; i >= 0; i--) (layers[i] as CgoState).clientEncryptOutbound(ad, cell)
      expect(toHex(cell)).toBe(v.outT + v.outC)
      layers.forEach((l, i) => { expectState(l, v.outHops[i] as St) })
    }
  })
})
