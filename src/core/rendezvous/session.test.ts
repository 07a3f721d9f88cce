import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { E2E_FRAME_LEN, E2E_PAYLOAD_MAX } from './constants.ts'
import { SessionError } from './errors.ts'
import { rnd } from './rendezvous.test-util.ts'
import { E2eSession } from './session.ts'

const r = rnd('session')
function pair (): { a: E2eSession, b: E2eSession } {
  const k1 = r(32); const k2 = r(32)
  return { a: new E2eSession({ send: k1, receive: k2 }), b: new E2eSession({ send: k2, receive: k1 }) }
}
const txt = (s: string): Uint8Array => new TextEncoder().encode(s)

describe('E2eSession (spec §7)', () => {
  it('round trip both ways, every frame full size, empty and maximal payloads', () => {
    const { a, b } = pair()
    for (const p of [txt('one'), new Uint8Array(0), r(E2E_PAYLOAD_MAX), txt('four')]) {
      const f = a.seal(p)
      expect(f.length).toBe(E2E_FRAME_LEN)
      expect(b.open(f)).toEqual(p)
      expect(a.open(b.seal(p))).toEqual(p)
    }
    expect(() => a.seal(new Uint8Array(E2E_PAYLOAD_MAX + 1))).toThrow(RangeError)
  })
  it('equal payloads give different frames (counter nonce)', () => {
    const { a } = pair()
    expect(a.seal(txt('x'))).not.toEqual(a.seal(txt('x')))
  })
  it('reorder → SessionError, and the session stays closed', () => {
    const { a, b } = pair()
    const f0 = a.seal(txt('0')); const f1 = a.seal(txt('1'))
    expect(() => b.open(f1)).toThrow(SessionError)
    expect(() => b.open(f0)).toThrow(SessionError)
    expect(() => b.seal(txt('x'))).toThrow(SessionError)
    expect(b.isClosed).toBe(true)
  })
  it('replay → SessionError', () => {
    const { a, b } = pair()
    const f0 = a.seal(txt('0'))
    b.open(f0)
    expect(() => b.open(f0)).toThrow(SessionError)
  })
  it('tamper, wrong length, a frame from our own direction → SessionError', () => {
    for (const bad of [(f: Uint8Array) => { f[3]! ^= 1; return f }, (f: Uint8Array) => f.subarray(1), (f: Uint8Array) => new Uint8Array([...f, 0])]) {
      const { a, b } = pair()
      expect(() => b.open(bad(a.seal(txt('m'))))).toThrow(SessionError)
    }
    const { a } = pair()
    expect(() => a.open(a.seal(txt('echo')))).toThrow(SessionError)
  })
  it('wipe closes both directions', () => {
    const { a, b } = pair()
    const f = a.seal(txt('late'))
    a.wipe(); b.wipe()
    expect(() => a.seal(txt('x'))).toThrow(SessionError)
    expect(() => b.open(f)).toThrow(SessionError)
  })
  it('any bit flip, and random frames → SessionError (property)', () => {
    fc.assert(fc.property(fc.nat({ max: E2E_FRAME_LEN * 8 - 1 }), (bit) => {
      const { a, b } = pair()
      const f = a.seal(txt('payload'))
      f[bit >> 3]! ^= 1 << (bit & 7)
      expect(() => b.open(f)).toThrow(SessionError)
    }), { numRuns: 200 })
    fc.assert(fc.property(fc.uint8Array({ maxLength: E2E_FRAME_LEN + 4 }), (f) => {
      expect(() => pair().b.open(f)).toThrow(SessionError)
    }), { numRuns: 100 })
  })
})
