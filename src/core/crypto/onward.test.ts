import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { toHex } from '../bytes.ts'
import { HandshakeError, ProtocolError } from '../errors.ts'
import { seededRandom, type RandomSource } from '../random.ts'
import { generateOnionKey, nobleDh, ntorClientCreateWith, ntorOnionskinLen, ntorServerRespondWith, type NtorSecretKey } from './ntor.ts'
import {
  joinOnwardHdata, ONWARD_BLOB_LEN, ONWARD_HDATA_LEN, ONWARD_MAC_LEN, ONWARD_MAX_HOPS, onwardKeys, openOnwardHeader, sealOnwardHeader,
  splitOnwardHdata, type OnwardHop, type OnwardStep
} from './onward.ts'

const enc = new TextEncoder()

function relay (r: RandomSource, name: string): NtorSecretKey & { peerId: string } {
  const { onionKey, onionSecret } = generateOnionKey(r)
  return { peerId: `12D3KooW${name}`, nodeId: r(32), onionKey, onionSecret }
}

/** A client's onionskins and onward keys for `path`, and the relays' view of the first hdata. */
async function sealFor (path: Array<ReturnType<typeof relay>>, r: RandomSource): Promise<{ hdata: Uint8Array, skins: Uint8Array[] }> {
  const made = await Promise.all(path.map(async h => await ntorClientCreateWith(h, r, nobleDh)))
  const hops: OnwardHop[] = made.map(({ state, onionskin }, i) => ({
    keys: onwardKeys(state.xb!, path[i]!.nodeId, path[i]!.onionKey, state.X),
    linkSpec: enc.encode(path[i]!.peerId),
    onionskin
  }))
  return { hdata: joinOnwardHdata(made[0]!.onionskin, sealOnwardHeader(hops, r)), skins: made.map(m => m.onionskin) }
}

/** What hop `h` does with a NTOR_ONWARD hdata: the ntor handshake, then its slot. */
async function open (h: NtorSecretKey, hdata: Uint8Array, r: RandomSource): Promise<OnwardStep> {
  const { onionskin, blob, mac } = splitOnwardHdata(hdata)
  let keys: ReturnType<typeof onwardKeys> | undefined
  await ntorServerRespondWith(h, onionskin, r, nobleDh, undefined, (xb, k, X) => { keys = onwardKeys(xb, k.nodeId, k.onionKey, X) })
  return openOnwardHeader(keys!, blob, mac)
}

describe('onward header (pipelined build, docs/PROTOCOL.md §7 "Building with an onward header")', () => {
  it('fits a CREATE cell', () => {
    expect(ONWARD_HDATA_LEN).toBe(ntorOnionskinLen() + ONWARD_BLOB_LEN + ONWARD_MAC_LEN)
    expect(ONWARD_HDATA_LEN).toBeLessThanOrEqual(1024 - 5 - 4)
  })

  for (let n = 1; n <= ONWARD_MAX_HOPS; n++) {
    it(`${n} hop(s): each hop learns only the next one, the last learns it is last`, async () => {
      const r = seededRandom(`onward-${n}`)
      const path = Array.from({ length: n }, (_, i) => relay(r, `hop${i}`))
      const { hdata, skins } = await sealFor(path, r)
      let at = hdata
      for (let i = 0; i < n; i++) {
        expect(at.length).toBe(ONWARD_HDATA_LEN) // the same size at every position
        const step = await open(path[i]!, at, r)
        if (i === n - 1) {
          expect(step.kind).toBe('last')
        } else {
          expect(step.kind).toBe('extend')
          if (step.kind !== 'extend') return
          expect(new TextDecoder().decode(step.linkSpec)).toBe(path[i + 1]!.peerId)
          expect(toHex(step.hdata.subarray(0, ntorOnionskinLen()))).toBe(toHex(skins[i + 1]!))
          at = step.hdata
        }
      }
    })
  }

  it('the last hop\'s blob looks the same whatever the path length (no zeros after its slot)', async () => {
    const r = seededRandom('onward-tail')
    const path = [relay(r, 'a')]
    const { hdata } = await sealFor(path, r)
    const { blob } = splitOnwardHdata(hdata)
    // A zero run would show through if the padding were not random.
    expect(blob.subarray(200).every(b => b === 0)).toBe(false)
  })

  it('any flipped bit anywhere in the header is refused with HandshakeError at the hop that reads it', async () => {
    const r = seededRandom('onward-flip')
    const path = [relay(r, 'a'), relay(r, 'b'), relay(r, 'c')]
    const { hdata } = await sealFor(path, r)
    const skinLen = ntorOnionskinLen()
    await fc.assert(fc.asyncProperty(fc.integer({ min: skinLen * 8, max: ONWARD_HDATA_LEN * 8 - 1 }), async (bit) => {
      const bad = hdata.slice()
      bad[bit >> 3] = (bad[bit >> 3] as number) ^ (1 << (bit & 7))
      await expect(open(path[0]!, bad, seededRandom('x'))).rejects.toBeInstanceOf(HandshakeError)
    }), { numRuns: 60 })
  })

  it('tampering with the next hop\'s part is caught by the next hop, not passed further', async () => {
    const r = seededRandom('onward-next')
    const path = [relay(r, 'a'), relay(r, 'b'), relay(r, 'c')]
    const { hdata } = await sealFor(path, r)
    const step = await open(path[0]!, hdata, r)
    if (step.kind !== 'extend') throw new Error('expected extend')
    const bad = step.hdata.slice()
    bad[ntorOnionskinLen() + 10]! ^= 1
    await expect(open(path[1]!, bad, r)).rejects.toBeInstanceOf(HandshakeError)
  })

  it('a header sealed to one relay is refused by another', async () => {
    const r = seededRandom('onward-wrong')
    const [a, b] = [relay(r, 'a'), relay(r, 'b')]
    const { blob, mac } = splitOnwardHdata((await sealFor([a], r)).hdata)
    const made = await ntorClientCreateWith(b, r, nobleDh)
    await expect(open(b, joinOnwardHdata(made.onionskin, { blob, mac }), r)).rejects.toBeInstanceOf(HandshakeError)
  })

  it('random bytes only ever give named protocol errors', async () => {
    const r = seededRandom('onward-junk')
    const a = relay(r, 'a')
    await fc.assert(fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: ONWARD_HDATA_LEN + 4 }), async (junk) => {
      try {
        await open(a, junk, seededRandom('y'))
      } catch (err) {
        expect(err).toBeInstanceOf(ProtocolError)
        return
      }
      throw new Error('junk accepted')
    }), { numRuns: 100 })
    // Right MAC, nonsense slot: a named error too.
    const keys = onwardKeys(r(32), a.nodeId, a.onionKey, r(32))
    const blob = r(ONWARD_BLOB_LEN)
    const { hmacSha256 } = await import('./primitives.ts')
    expect(() => openOnwardHeader(keys, blob, hmacSha256(keys.mac, blob).subarray(0, ONWARD_MAC_LEN))).toThrow(ProtocolError)
  })

  it('refuses paths it cannot carry', () => {
    const r = seededRandom('onward-range')
    const keys = onwardKeys(r(32), r(32), r(32), r(32))
    const hop = { keys, linkSpec: enc.encode('p'), onionskin: r(ntorOnionskinLen()) }
    expect(() => sealOnwardHeader([], r)).toThrow(RangeError)
    expect(() => sealOnwardHeader(Array.from({ length: ONWARD_MAX_HOPS + 1 }, () => hop), r)).toThrow(RangeError)
    expect(() => sealOnwardHeader([hop, { ...hop, linkSpec: new Uint8Array(65) }], r)).toThrow(RangeError)
  })
})
