import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { decodeRelayWorkParams, encodeRelayWorkParams, RelayWorkParamsError } from './relay-work-params.ts'

describe('relay work effort announcement format', () => {
  it('round-trips an effort', () => {
    expect(encodeRelayWorkParams(3_000_000)).toEqual(Uint8Array.of(1, 0x00, 0x2d, 0xc6, 0xc0))
    for (const e of [1, 1024, 0xffff_ffff]) expect(decodeRelayWorkParams(encodeRelayWorkParams(e))).toBe(e)
  })

  it('refuses effort 0, other versions and lengths with a named error', () => {
    expect(() => decodeRelayWorkParams(Uint8Array.of(1, 0, 0, 0, 0))).toThrow(RelayWorkParamsError)
    expect(() => decodeRelayWorkParams(Uint8Array.of(2, 0, 0, 4, 0))).toThrow(RelayWorkParamsError)
    expect(() => decodeRelayWorkParams(Uint8Array.of(1, 0, 0, 4, 0, 0))).toThrow(RelayWorkParamsError)
    expect(() => encodeRelayWorkParams(0)).toThrow(RelayWorkParamsError)
    fc.assert(fc.property(fc.uint8Array({ maxLength: 8 }), (b) => {
      try { decodeRelayWorkParams(b) } catch (err) { expect(err).toBeInstanceOf(RelayWorkParamsError) }
    }))
  })
})
