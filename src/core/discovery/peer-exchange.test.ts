import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { decodePeerExchange, encodePeerExchange, PeerExchangeFormatError, PX_MAX_PEERS } from './peer-exchange.ts'

describe('peer exchange wire format', () => {
  it('round-trips ids with and without records', () => {
    const entries = [
      { id: '12D3KooWAbc' },
      { id: '12D3KooWDef', record: Uint8Array.of(1, 2, 3) }
    ]
    expect(decodePeerExchange(encodePeerExchange(entries))).toEqual(entries)
  })

  it('refuses too many peers, truncation and trailing bytes', () => {
    const many = Array.from({ length: PX_MAX_PEERS + 1 }, (_, i) => ({ id: `p${i}` }))
    expect(() => encodePeerExchange(many)).toThrow(PeerExchangeFormatError)
    const good = encodePeerExchange([{ id: 'abc', record: Uint8Array.of(9, 9) }])
    expect(() => decodePeerExchange(good.subarray(0, good.length - 1))).toThrow(/truncated/)
    expect(() => decodePeerExchange(Uint8Array.of(...good, 0))).toThrow(/trailing/)
    expect(() => decodePeerExchange(Uint8Array.of(2, 0))).toThrow(/version/)
  })

  it('random bytes either decode or throw only PeerExchangeFormatError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      try {
        decodePeerExchange(bytes)
      } catch (err) {
        expect(err).toBeInstanceOf(PeerExchangeFormatError)
      }
    }), { numRuns: 2000 })
  })
})
