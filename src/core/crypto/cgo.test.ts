import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { encodeRelayBody, RELAY_BODY_LEN, RELAY_HEADER_LEN, RelayCommand } from '../cell/relay.ts'
import { LinkCommand } from '../cell/link.ts'
import { DigestMismatchError } from '../errors.ts'
import { seededRandom } from '../random.ts'
import {
  CGO_KEY_MATERIAL_LEN, CGO_TAG_LEN, CgoClientCircuitCrypto, CgoRelayCircuitCrypto, cgoShape, TOR_CELL_BODY_LEN
} from './cgo.ts'
import { ClientCircuitCrypto, RELAY_KEY_MATERIAL_LEN, RelayCircuitCrypto } from './testing/tor1.ts'

const SHAPE = cgoShape(RELAY_BODY_LEN)
const AD = LinkCommand.RELAY

/** A client and `hops` relays sharing CGO keys, as after the handshakes. */
function cgoCircuit (seed: string, hops = 3): { client: CgoClientCircuitCrypto, relays: CgoRelayCircuitCrypto[], rnd: (n: number) => Uint8Array } {
  const rnd = seededRandom(seed)
  const client = new CgoClientCircuitCrypto(SHAPE)
  const relays: CgoRelayCircuitCrypto[] = []
  for (let i = 0; i < hops; i++) {
    const m = rnd(CGO_KEY_MATERIAL_LEN)
    client.addHop(m)
    relays.push(new CgoRelayCircuitCrypto(m, SHAPE))
  }
  return { client, relays, rnd }
}

/** A body whose message (after T) is `msg`; T is left for the crypto. */
function cgoBody (msg: Uint8Array): Uint8Array {
  const b = new Uint8Array(RELAY_BODY_LEN)
  b.set(msg, CGO_TAG_LEN)
  return b
}

/** Relays 0, 1, … run their layer; the index of the one that recognized it, or -1 (the last hop then destroys the circuit). */
function deliverOutbound (relays: CgoRelayCircuitCrypto[], body: Uint8Array): number {
  for (let i = 0; i < relays.length; i++) if ((relays[i] as CgoRelayCircuitCrypto).decryptOutbound(body, AD)) return i
  return -1
}

function sendInbound (relays: CgoRelayCircuitCrypto[], origin: number, body: Uint8Array): void {
  ;(relays[origin] as CgoRelayCircuitCrypto).originateInbound(body, AD)
  for (let i = origin - 1; i >= 0; i--) (relays[i] as CgoRelayCircuitCrypto).forwardInbound(body, AD)
}

describe('CGO shape', () => {
  it("Tor's 509-byte body gives arti's constants: 493-byte C, n1 = 31 blocks, IV mask 0xC0", () => {
    expect(cgoShape(TOR_CELL_BODY_LEN)).toEqual({ bodyLen: 509, payloadLen: 493, n1Blocks: 31, ivLastByteMask: 0xc0 })
  })
  it("Shallot's 1021-byte body: 1005-byte C, n1 = 63 blocks (past the payload stream), IV mask 0x80", () => {
    expect(SHAPE).toEqual({ bodyLen: 1021, payloadLen: 1005, n1Blocks: 63, ivLastByteMask: 0x80 })
  })
  it('key material is 160 bytes per hop: (J | S | N) per direction', () => {
    expect(CGO_KEY_MATERIAL_LEN).toBe(160)
    expect(() => new CgoRelayCircuitCrypto(new Uint8Array(159), SHAPE)).toThrow(RangeError)
  })
})

describe('CGO circuit crypto', () => {
  it('a cell for each hop is recognized there and only there, with its message intact', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.uint8Array({ maxLength: SHAPE.payloadLen })), { maxLength: 12 }), (cells) => {
      const { client, relays } = cgoCircuit('cgo-roundtrip')
      for (const [target, msg] of cells) {
        const body = cgoBody(msg)
        const plain = body.slice(CGO_TAG_LEN)
        client.encryptOutbound(body, target, AD)
        expect(deliverOutbound(relays, body)).toBe(target)
        expect(body.subarray(CGO_TAG_LEN)).toEqual(plain)
        // SENDME authentication (prop 359): both ends agree on the tag of the cell.
        expect(relays[target]?.lastOutboundTag()).toEqual(client.lastOutboundTag(target))
        const back = cgoBody(msg)
        sendInbound(relays, target, back)
        expect(client.decryptInbound(back, AD)).toBe(target)
        expect(back.subarray(CGO_TAG_LEN)).toEqual(plain)
        expect(client.lastInboundTag(target)).toEqual(relays[target]?.lastInboundTag())
      }
    }), { numRuns: 20 })
  })

  it('works on unaligned views (a body inside a link cell starts at offset 5)', () => {
    const { client, relays } = cgoCircuit('cgo-unaligned')
    const wire = new Uint8Array(5 + RELAY_BODY_LEN)
    const body = wire.subarray(5)
    body.set(new TextEncoder().encode('hello'), CGO_TAG_LEN)
    client.encryptOutbound(body, 2, AD)
    expect(deliverOutbound(relays, body)).toBe(2)
    expect(new TextDecoder().decode(body.subarray(CGO_TAG_LEN, CGO_TAG_LEN + 5))).toBe('hello')
  })

  it('a replayed inbound cell is recognized by no hop: DigestMismatchError', () => {
    const { client, relays } = cgoCircuit('cgo-replay')
    const body = cgoBody(new Uint8Array(10))
    sendInbound(relays, 1, body)
    const again = body.slice()
    expect(client.decryptInbound(body, AD)).toBe(1)
    expect(() => client.decryptInbound(again, AD)).toThrow(DigestMismatchError)
  })

  it('a cell sent as RELAY_EARLY cannot be relabelled RELAY: the command byte is in the tweak', () => {
    const { client, relays } = cgoCircuit('cgo-ad')
    const body = cgoBody(new Uint8Array(10))
    client.encryptOutbound(body, 2, 9 /* Tor's RELAY_EARLY */)
    expect(deliverOutbound(relays, body)).toBe(-1)
  })

  it('a random inbound body is recognized by no hop', () => {
    const { client, rnd } = cgoCircuit('cgo-random')
    expect(() => client.decryptInbound(rnd(RELAY_BODY_LEN), AD)).toThrow(DigestMismatchError)
  })
})

/**
 * The tagging attack (issue #13 item 6; the attack prop 359 and the CGO
 * paper set out to stop): hops 0 and 2 collude, hop 1 is honest. The first hop XORs a
 * pattern into a cell it forwards; the exit XORs it back out before its own
 * layer. If the cell is then recognized, the two have confirmed they are on
 * the same circuit. Each scheme is wrapped in the same small interface so the
 * attack code is identical for both.
 */
interface Scheme {
  /** Send `msg` from the client to hop 2 with hop 0 tagging and hop 2 untagging; did hop 2 recognize it, and is the message intact? */
  outbound: (msg: Uint8Array, tag: boolean) => { recognized: boolean, intact: boolean }
  /** The same inbound: hop 2 tags the cell it originates, hop 0 untags before the client; did the client accept it? */
  inbound: (msg: Uint8Array, tag: boolean) => { accepted: boolean, intact: boolean }
}

const PATTERN_AT = 40
const PATTERN = Uint8Array.from({ length: 16 }, (_, i) => 0x5a ^ i)
const xorPattern = (body: Uint8Array): void => { for (let i = 0; i < PATTERN.length; i++) body[PATTERN_AT + i] = (body[PATTERN_AT + i] as number) ^ (PATTERN[i] as number) }
const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i])

function cgoScheme (seed: string): Scheme {
  const { client, relays } = cgoCircuit(seed)
  const [r0, r1, r2] = relays as [CgoRelayCircuitCrypto, CgoRelayCircuitCrypto, CgoRelayCircuitCrypto]
  return {
    outbound (msg, tag) {
      const body = cgoBody(msg)
      client.encryptOutbound(body, 2, AD)
      if (r0.decryptOutbound(body, AD)) throw new Error('not for hop 0')
      if (tag) xorPattern(body) // hop 0 tags what it forwards
      if (r1.decryptOutbound(body, AD)) throw new Error('not for hop 1')
      if (tag) xorPattern(body) // hop 2 untags before its layer
      const recognized = r2.decryptOutbound(body, AD)
      return { recognized, intact: sameBytes(body.subarray(CGO_TAG_LEN, CGO_TAG_LEN + msg.length), msg) }
    },
    inbound (msg, tag) {
      const body = cgoBody(msg)
      r2.originateInbound(body, AD)
      if (tag) xorPattern(body)
      r1.forwardInbound(body, AD)
      if (tag) xorPattern(body)
      r0.forwardInbound(body, AD)
      try {
        const hop = client.decryptInbound(body, AD)
        return { accepted: hop === 2, intact: sameBytes(body.subarray(CGO_TAG_LEN, CGO_TAG_LEN + msg.length), msg) }
      } catch (e) {
        if (e instanceof DigestMismatchError) return { accepted: false, intact: false }
        throw e
      }
    }
  }
}

function tor1Scheme (seed: string): Scheme {
  const rnd = seededRandom(seed)
  const client = new ClientCircuitCrypto()
  const relays: RelayCircuitCrypto[] = []
  for (let i = 0; i < 3; i++) { const m = rnd(RELAY_KEY_MATERIAL_LEN); client.addHop(m); relays.push(new RelayCircuitCrypto(m)) }
  const [r0, r1, r2] = relays as [RelayCircuitCrypto, RelayCircuitCrypto, RelayCircuitCrypto]
  const body = (msg: Uint8Array): Uint8Array => encodeRelayBody({ command: RelayCommand.DATA, streamId: 1, data: msg }, rnd)
  // tor1, the test-only reference in testing/tor1.ts, reads recognized and digest
  // inside the all-zero T of this CGO-format plaintext body; the data is where cell/relay.ts puts it.
  const DATA_AT = RELAY_HEADER_LEN
  return {
    outbound (msg, tag) {
      const b = body(msg)
      client.encryptOutbound(b, 2)
      if (r0.decryptOutbound(b)) throw new Error('not for hop 0')
      if (tag) xorPattern(b)
      if (r1.decryptOutbound(b)) throw new Error('not for hop 1')
      if (tag) xorPattern(b)
      return { recognized: r2.decryptOutbound(b), intact: sameBytes(b.subarray(DATA_AT, DATA_AT + msg.length), msg) }
    },
    inbound (msg, tag) {
      const b = body(msg)
      r2.originateInbound(b)
      if (tag) xorPattern(b)
      r1.forwardInbound(b)
      if (tag) xorPattern(b)
      r0.forwardInbound(b)
      try {
        return { accepted: client.decryptInbound(b) === 2, intact: sameBytes(b.subarray(DATA_AT, DATA_AT + msg.length), msg) }
      } catch (e) {
        if (e instanceof DigestMismatchError) return { accepted: false, intact: false }
        throw e
      }
    }
  }
}

const MSG = new TextEncoder().encode('the same circuit? the colluding ends would like to know')

describe('tagging attack (first and last hop collude, the middle is honest)', () => {
  it('tagging attack outbound: the first hop tags, the exit untags; under CGO the exit does not recognize the cell, nor any cell after it, and destroys the circuit', () => {
    const s = cgoScheme('tagging-out')
    expect(s.outbound(MSG, false)).toEqual({ recognized: true, intact: true }) // the path works
    expect(s.outbound(MSG, true).recognized).toBe(false) // tagged and untagged: garbage at the exit
    // The honest middle's T' chain carries the damage: a clean cell afterwards is garbage too.
    expect(s.outbound(MSG, false).recognized).toBe(false)
  })

  it('tagging attack inbound: the exit tags, the first hop untags; under CGO the client recognizes nothing and must destroy the circuit', () => {
    const s = cgoScheme('tagging-in')
    expect(s.inbound(MSG, false)).toEqual({ accepted: true, intact: true })
    expect(s.inbound(MSG, true).accepted).toBe(false)
    expect(s.inbound(MSG, false).accepted).toBe(false)
  })

  it('tor1 (the scheme CGO replaces) lets the same tag through undetected in both directions', () => {
    const s = tor1Scheme('tagging-tor1')
    expect(s.outbound(MSG, true)).toEqual({ recognized: true, intact: true })
    expect(s.inbound(MSG, true)).toEqual({ accepted: true, intact: true })
  })
})
