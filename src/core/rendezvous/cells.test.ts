import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { MalformedCellError } from '../errors.ts'
import {
  decodeEstablishIntro, decodeEstablishRendezvous, decodeHsdirFetch, decodeHsdirFound, decodeIntroduce1, decodeRendezvous1,
  decodeStatus, encodeEstablishIntro, encodeEstablishRendezvous, encodeHsdirFetch, encodeHsdirFound, encodeIntroduce1,
  encodeRendezvous1, encodeStatus, INTRODUCE_CT_MAX, INTRODUCE_CT_MIN
} from './cells.ts'
import { HS_DESCRIPTOR_MAX } from './constants.ts'

const bytes = (n: number, v = 1): Uint8Array => new Uint8Array(n).fill(v)
const decoders: [string, (d: Uint8Array) => unknown][] = [
  ['ESTABLISH_INTRO', decodeEstablishIntro], ['INTRODUCE1', decodeIntroduce1], ['ESTABLISH_RENDEZVOUS', decodeEstablishRendezvous],
  ['RENDEZVOUS1', decodeRendezvous1], ['status', decodeStatus], ['HSDIR_FETCH', decodeHsdirFetch], ['HSDIR_FOUND', decodeHsdirFound]
]

describe('relay cell bodies (spec §5)', () => {
  it('round trip', () => {
    expect(decodeEstablishIntro(encodeEstablishIntro(bytes(32)))).toEqual(bytes(32))
    const intro = { authId: bytes(32, 2), clientKey: bytes(32, 3), ct: bytes(INTRODUCE_CT_MIN, 4) }
    expect(decodeIntroduce1(encodeIntroduce1(intro))).toEqual(intro)
    expect(decodeEstablishRendezvous(encodeEstablishRendezvous(bytes(20)))).toEqual(bytes(20))
    const rv = { cookie: bytes(20, 5), reply: bytes(64, 6) } // Y | key-confirmation MAC (spec §6, INTRODUCE version 2)
    expect(decodeRendezvous1(encodeRendezvous1(rv))).toEqual(rv)
    expect(encodeRendezvous1(rv).length).toBe(84)
    for (const s of [0, 1, 255]) expect(decodeStatus(encodeStatus(s))).toBe(s)
    expect(decodeHsdirFetch(encodeHsdirFetch(bytes(32)))).toEqual(bytes(32))
    for (const m of [{ more: false, descriptor: null }, { more: true, descriptor: bytes(10) }, { more: false, descriptor: bytes(HS_DESCRIPTOR_MAX) }]) {
      expect(decodeHsdirFound(encodeHsdirFound(m))).toEqual(m)
    }
    expect(encodeHsdirFound({ more: false, descriptor: null })).toEqual(Uint8Array.of(0))
  })
  it('wrong lengths and values → MalformedCellError', () => {
    for (const [d, n] of [[decodeEstablishIntro, 32], [decodeEstablishRendezvous, 20], [decodeHsdirFetch, 32], [decodeRendezvous1, 84], [decodeStatus, 1]] as const) {
      expect(() => d(bytes(n - 1))).toThrow(MalformedCellError)
      expect(() => d(bytes(n + 1))).toThrow(MalformedCellError)
    }
    expect(() => decodeIntroduce1(bytes(64 + INTRODUCE_CT_MIN - 1))).toThrow(MalformedCellError)
    expect(() => decodeIntroduce1(bytes(64 + INTRODUCE_CT_MAX + 1))).toThrow(MalformedCellError)
    expect(decodeIntroduce1(bytes(64 + INTRODUCE_CT_MAX)).ct.length).toBe(INTRODUCE_CT_MAX)
    expect(() => decodeHsdirFound(new Uint8Array(0))).toThrow(MalformedCellError)
    expect(() => decodeHsdirFound(Uint8Array.of(1))).toThrow(MalformedCellError)
    expect(() => decodeHsdirFound(Uint8Array.of(2, 1))).toThrow(MalformedCellError)
    expect(() => decodeHsdirFound(bytes(HS_DESCRIPTOR_MAX + 2, 0))).toThrow(MalformedCellError)
  })
  it('encoders refuse bad arguments with RangeError', () => {
    expect(() => encodeEstablishIntro(bytes(31))).toThrow(RangeError)
    expect(() => encodeIntroduce1({ authId: bytes(32), clientKey: bytes(32), ct: bytes(3) })).toThrow(RangeError)
    expect(() => encodeRendezvous1({ cookie: bytes(20), reply: bytes(111) })).toThrow(RangeError)
    expect(() => encodeStatus(256)).toThrow(RangeError)
    expect(() => encodeHsdirFound({ more: true, descriptor: null })).toThrow(RangeError)
  })
  it('random bytes: every decoder succeeds or throws MalformedCellError (property)', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 1100 }), (b) => {
      for (const [, d] of decoders) {
        try { d(b) } catch (e) { if (!(e instanceof MalformedCellError)) throw e }
      }
    }))
  })
})
