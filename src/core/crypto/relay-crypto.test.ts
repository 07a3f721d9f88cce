import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { decodeRelayBody, encodeRelayBody, RELAY_BODY_LEN, RELAY_DIGEST_OFFSET, RelayCommand } from '../cell/relay.ts'
import { DigestMismatchError, KeystreamExhaustedError } from '../errors.ts'
import { seededRandom } from '../random.ts'
import {
  ClientCircuitCrypto, deriveRelayKeys, RELAY_KEY_MATERIAL_LEN, RelayCircuitCrypto, RelayCryptState
} from './relay-crypto.ts'

const enc = new TextEncoder()

/** A client and three relays sharing keys, as after three ntor handshakes. */
function circuit (seed: string, hops = 3): { client: ClientCircuitCrypto, relays: RelayCircuitCrypto[], rnd: (n: number) => Uint8Array } {
  const rnd = seededRandom(seed)
  const client = new ClientCircuitCrypto()
  const relays: RelayCircuitCrypto[] = []
  for (let i = 0; i < hops; i++) {
    const material = rnd(RELAY_KEY_MATERIAL_LEN)
    client.addHop(material)
    relays.push(new RelayCircuitCrypto(material))
  }
  return { client, relays, rnd }
}

/** Send a body outbound from the client; returns the index of the relay that recognized it, or -1. */
function deliverOutbound (relays: RelayCircuitCrypto[], body: Uint8Array): number {
  for (let i = 0; i < relays.length; i++) if ((relays[i] as RelayCircuitCrypto).decryptOutbound(body)) return i
  return -1
}

/** Relay `origin` originates a cell toward the client; each earlier relay adds its layer. */
function sendInbound (relays: RelayCircuitCrypto[], origin: number, body: Uint8Array): void {
  ;(relays[origin] as RelayCircuitCrypto).originateInbound(body)
  for (let i = origin - 1; i >= 0; i--) (relays[i] as RelayCircuitCrypto).forwardInbound(body)
}

function dataCell (rnd: (n: number) => Uint8Array, text: string): Uint8Array {
  return encodeRelayBody({ command: RelayCommand.DATA, streamId: 7, data: enc.encode(text) }, rnd)
}

describe('key schedule', () => {
  it('splits 152 bytes as Df|Db|Kf|Kb|Nf|Nb', () => {
    const m = Uint8Array.from({ length: RELAY_KEY_MATERIAL_LEN }, (_, i) => i)
    const k = deriveRelayKeys(m)
    expect(RELAY_KEY_MATERIAL_LEN).toBe(152)
    expect([k.df[0], k.db[0], k.kf[0], k.kb[0], k.nf[0], k.nb[0], k.nb[11]]).toEqual([0, 32, 64, 96, 128, 140, 151])
  })
})

describe('relay crypto through 3 hops', () => {
  it('each hop recognizes exactly the cells addressed to it, in both directions', () => {
    const { client, relays, rnd } = circuit('three-hops')
    for (let round = 0; round < 5; round++) {
      for (let target = 0; target < 3; target++) {
        const plain = dataCell(rnd, `to hop ${target} round ${round}`)
        const body = plain.slice()
        client.encryptOutbound(body, target)
        expect(body).not.toEqual(plain)
        expect(deliverOutbound(relays, body)).toBe(target)
        expect(decodeRelayBody(body).data).toEqual(enc.encode(`to hop ${target} round ${round}`))
        expect(relays[target]?.lastOutboundDigest()).toEqual(client.lastOutboundDigest(target))

        const back = dataCell(rnd, `from hop ${target} round ${round}`)
        sendInbound(relays, target, back)
        expect(client.decryptInbound(back)).toBe(target)
        expect(decodeRelayBody(back).data).toEqual(enc.encode(`from hop ${target} round ${round}`))
        expect(client.lastInboundDigest(target)).toEqual(relays[target]?.lastInboundDigest())
      }
    }
  })

  it('a cell that matches no layer throws DigestMismatchError at the client', () => {
    const { client, rnd } = circuit('garbage')
    expect(() => client.decryptInbound(rnd(RELAY_BODY_LEN))).toThrow(DigestMismatchError)
  })

  it('an unrecognized cell at the last hop is reported as not-for-me', () => {
    const { client, relays, rnd } = circuit('last-hop')
    const body = dataCell(rnd, 'x')
    client.encryptOutbound(body, 2)
    body[100] = (body[100] as number) ^ 1
    expect(deliverOutbound(relays, body)).toBe(-1)
  })

  it('replay fails the digest (outbound and inbound)', () => {
    const { client, relays, rnd } = circuit('replay')
    const body = dataCell(rnd, 'once')
    client.encryptOutbound(body, 2)
    const copy = body.slice()
    expect(deliverOutbound(relays, body)).toBe(2)
    expect(deliverOutbound(relays, copy)).toBe(-1)

    const back = dataCell(rnd, 'back')
    sendInbound(relays, 1, back)
    const again = back.slice()
    expect(client.decryptInbound(back)).toBe(1)
    expect(() => client.decryptInbound(again)).toThrow(DigestMismatchError)
  })

  it('reordering and dropping fail the digest', () => {
    const { client, relays, rnd } = circuit('reorder')
    const a = dataCell(rnd, 'first'); client.encryptOutbound(a, 2)
    const b = dataCell(rnd, 'second'); client.encryptOutbound(b, 2)
    expect(deliverOutbound(relays, b)).toBe(-1) // b before a

    const c2 = circuit('drop')
    const x = dataCell(c2.rnd, 'one'); sendInbound(c2.relays, 2, x)
    const y = dataCell(c2.rnd, 'two'); sendInbound(c2.relays, 2, y)
    expect(() => c2.client.decryptInbound(y)).toThrow(DigestMismatchError) // x was dropped
  })

  it('random bit flips on an encrypted relay cell are always detected', () => {
    fc.assert(fc.property(
      fc.string({ maxLength: 64 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: RELAY_BODY_LEN * 8 - 1 }), fc.boolean(),
      (seed, hop, bit, outbound) => {
        const { client, relays, rnd } = circuit('flip:' + seed)
        const body = dataCell(rnd, 'payload ' + seed)
        if (outbound) client.encryptOutbound(body, hop)
        else sendInbound(relays, hop, body)
        body[bit >> 3] = (body[bit >> 3] as number) ^ (1 << (bit & 7))
        if (outbound) expect(deliverOutbound(relays, body)).toBe(-1)
        else expect(() => client.decryptInbound(body)).toThrow(DigestMismatchError)
      }), { numRuns: 300 })
  })

  it('the digest field holds the first 4 bytes of the running digest', () => {
    const body = dataCell(seededRandom('digest-field'), 'd')
    const state = new RelayCryptState(new Uint8Array(32), new Uint8Array(12), new Uint8Array(32))
    const b2 = body.slice()
    state.setDigest(b2)
    expect(b2.subarray(RELAY_DIGEST_OFFSET, RELAY_DIGEST_OFFSET + 4)).toEqual(state.lastDigest().subarray(0, 4))
  })

  it('truncate drops hops', () => {
    const { client, relays, rnd } = circuit('truncate')
    client.truncate(1)
    expect(client.length).toBe(1)
    const body = dataCell(rnd, 'z')
    client.encryptOutbound(body, 0)
    expect(deliverOutbound(relays, body)).toBe(0)
    expect(() => client.encryptOutbound(dataCell(rnd, 'z'), 1)).toThrow(RangeError)
  })

  it('refuses to reuse keystream when the 32-bit block counter would wrap', () => {
    const s = new RelayCryptState(new Uint8Array(32), new Uint8Array(12), new Uint8Array(32))
    ;(s as unknown as { counter: number }).counter = 2 ** 32 - 1 - 16
    s.xor(new Uint8Array(RELAY_BODY_LEN))
    expect(() => s.xor(new Uint8Array(RELAY_BODY_LEN))).toThrow(KeystreamExhaustedError)
  })
})
