import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { CELL_SIZE } from '../constants.ts'
import { ByteReader, ctEqual, fromHex, toHex } from '../bytes.ts'
import { MalformedCellError, ProtocolError, UnknownCommandError } from '../errors.ts'
import { seededRandom } from '../random.ts'
import { CGO_TAG_LEN } from '../crypto/cgo.ts'
import {
  CELL_BODY_LEN, CREATE_HDATA_MAX, CREATED_HDATA_MAX, decodeCell, DestroyReason, encodeCell, HandshakeType,
  type LinkCell, LinkCommand
} from './link.ts'
import {
  decodeRelayBody, encodeRelayBody, RELAY_BODY_LEN, RELAY_DATA_MAX, RELAY_HEADER_LEN, RELAY_TAG_LEN, type RelayCell, RelayCommand
} from './relay.ts'
import {
  decodeEnd, decodeExtend, decodeExtended, decodeSendme, decodeTruncated, encodeEnd, encodeExtend, encodeExtended,
  encodeSendme, encodeTruncated, EndReason, type ExtendMsg, NODE_ID_LEN
} from './messages.ts'

const rnd = seededRandom('cells')

/** Run `f`; it must either return or throw a ProtocolError. */
function onlyProtocolErrors (f: () => unknown): void {
  try { f() } catch (e) {
    if (!(e instanceof ProtocolError)) throw e
  }
}

const arbCircId = fc.integer({ min: 1, max: 0xffff_ffff })
const arbLinkCell: fc.Arbitrary<LinkCell> = fc.oneof(
  fc.constant<LinkCell>({ circId: 0, msg: { command: LinkCommand.PADDING } }),
  fc.record({ circId: arbCircId, hdata: fc.uint8Array({ maxLength: CREATE_HDATA_MAX }) })
    .map(({ circId, hdata }): LinkCell => ({ circId, msg: { command: LinkCommand.CREATE, htype: HandshakeType.NTOR, hdata } })),
  fc.record({ circId: arbCircId, hdata: fc.uint8Array({ maxLength: CREATED_HDATA_MAX }) })
    .map(({ circId, hdata }): LinkCell => ({ circId, msg: { command: LinkCommand.CREATED, hdata } })),
  fc.record({ circId: arbCircId, body: fc.uint8Array({ minLength: CELL_BODY_LEN, maxLength: CELL_BODY_LEN }) })
    .map(({ circId, body }): LinkCell => ({ circId, msg: { command: LinkCommand.RELAY, body } })),
  fc.record({ circId: arbCircId, reason: fc.constantFrom(...Object.values(DestroyReason)) })
    .map(({ circId, reason }): LinkCell => ({ circId, msg: { command: LinkCommand.DESTROY, reason } }))
)
const arbRelayCell: fc.Arbitrary<RelayCell> = fc.record({
  command: fc.constantFrom(...Object.values(RelayCommand)),
  streamId: fc.integer({ min: 0, max: 0xffff }),
  data: fc.uint8Array({ maxLength: RELAY_DATA_MAX })
})

describe('bytes', () => {
  it('hex round-trips and ctEqual compares', () => {
    expect(toHex(fromHex('00ff10Ab'))).toBe('00ff10ab')
    expect(() => fromHex('abc')).toThrow(RangeError)
    expect(ctEqual(fromHex('0102'), fromHex('0102'))).toBe(true)
    expect(ctEqual(fromHex('0102'), fromHex('0103'))).toBe(false)
    expect(ctEqual(fromHex('0102'), fromHex('01'))).toBe(false)
  })
  it('ByteReader never reads past the end', () => {
    const r = new ByteReader(fromHex('0102030405'))
    expect(r.u16()).toBe(0x0102)
    expect(r.u16()).toBe(0x0304)
    expect(() => r.u16()).toThrow(MalformedCellError)
    expect(() => r.bytes(2)).toThrow(MalformedCellError)
    expect(() => r.end()).toThrow(MalformedCellError)
    expect(r.u8()).toBe(5)
    r.end()
  })
})

describe('link cells (tor-spec §3)', () => {
  it('have the documented layout', () => {
    const c = encodeCell({ circId: 0x01020304, msg: { command: LinkCommand.CREATE, htype: HandshakeType.NTOR, hdata: fromHex('aabb') } })
    expect(c.length).toBe(CELL_SIZE)
    expect(toHex(c.subarray(0, 11))).toBe('0102030401' + '0002' + '0002' + 'aabb')
    expect(c.subarray(11).every(b => b === 0)).toBe(true)
    const d = encodeCell({ circId: 9, msg: { command: LinkCommand.DESTROY, reason: DestroyReason.CHANNEL_CLOSED } })
    expect(toHex(d.subarray(0, 6))).toBe('000000090408')
    const created = encodeCell({ circId: 9, msg: { command: LinkCommand.CREATED, hdata: fromHex('01') } })
    expect(toHex(created.subarray(0, 8))).toBe('0000000902000101')
  })

  it('round-trip (property)', () => {
    fc.assert(fc.property(arbLinkCell, (cell) => {
      expect(decodeCell(encodeCell(cell))).toEqual(cell)
    }), { numRuns: 300 })
  })

  it('reuse an output buffer', () => {
    const out = new Uint8Array(CELL_SIZE).fill(0xee)
    encodeCell({ circId: 0, msg: { command: LinkCommand.PADDING } }, out)
    expect(out.every(b => b === 0)).toBe(true)
  })

  it('reject bad sizes, unknown commands, bad circ ids, handshake types, reasons and lengths', () => {
    expect(() => decodeCell(new Uint8Array(CELL_SIZE - 1))).toThrow(MalformedCellError)
    expect(() => decodeCell(new Uint8Array(CELL_SIZE + 1))).toThrow(MalformedCellError)
    const c = new Uint8Array(CELL_SIZE)
    c[3] = 1
    c[4] = 99
    expect(() => decodeCell(c)).toThrow(UnknownCommandError)
    c[4] = LinkCommand.PADDING
    expect(() => decodeCell(c)).toThrow(MalformedCellError) // PADDING with circId ≠ 0
    c[3] = 0; c[4] = LinkCommand.RELAY
    expect(() => decodeCell(c)).toThrow(MalformedCellError) // RELAY on circId 0
    c[3] = 1; c[4] = LinkCommand.CREATE; c[5] = 0; c[6] = 9
    expect(() => decodeCell(c)).toThrow(UnknownCommandError) // htype 9
    c[6] = 2; c[7] = 0xff; c[8] = 0xff
    expect(() => decodeCell(c)).toThrow(MalformedCellError) // hlen past the end
    c[4] = LinkCommand.CREATED; c[5] = 0x03; c[6] = 0xfc // hlen 1020 > 1017
    expect(() => decodeCell(c)).toThrow(MalformedCellError)
    c[4] = LinkCommand.DESTROY; c[5] = 200
    expect(() => decodeCell(c)).toThrow(MalformedCellError)
  })

  it('encoding refuses what no caller should produce', () => {
    expect(() => encodeCell({ circId: 1, msg: { command: LinkCommand.PADDING } })).toThrow(RangeError)
    expect(() => encodeCell({ circId: 2 ** 32, msg: { command: LinkCommand.DESTROY, reason: 0 } })).toThrow(RangeError)
    expect(() => encodeCell({ circId: 1, msg: { command: LinkCommand.RELAY, body: new Uint8Array(10) } })).toThrow(RangeError)
    expect(() => encodeCell({ circId: 1, msg: { command: LinkCommand.CREATED, hdata: new Uint8Array(CREATED_HDATA_MAX + 1) } })).toThrow(RangeError)
  })
})

describe('relay cells (tor-spec §6.1, CGO body format of prop 359)', () => {
  it('have the documented layout: T (zero until relay crypto sets it), header, data, random padding', () => {
    const b = encodeRelayBody({ command: RelayCommand.DATA, streamId: 0x0102, data: fromHex('cafe') }, rnd)
    expect(b.length).toBe(RELAY_BODY_LEN)
    expect(toHex(b.subarray(0, 23))).toBe('00'.repeat(16) + '02' + '0102' + '0002' + 'cafe')
    expect(b.subarray(23).some(x => x !== 0)).toBe(true)
    expect(RELAY_TAG_LEN).toBe(CGO_TAG_LEN)
    expect(RELAY_DATA_MAX).toBe(CELL_SIZE - 5 - RELAY_HEADER_LEN)
    expect(RELAY_DATA_MAX).toBe(1000)
  })

  it('round-trip (property, sequences)', () => {
    fc.assert(fc.property(fc.array(arbRelayCell, { maxLength: 8 }), (cells) => {
      const out = new Uint8Array(RELAY_BODY_LEN)
      for (const cell of cells) expect(decodeRelayBody(encodeRelayBody(cell, rnd, out))).toEqual(cell)
    }), { numRuns: 100 })
  })

  it('reject unknown commands and overlong lengths', () => {
    const b = encodeRelayBody({ command: RelayCommand.DATA, streamId: 1, data: new Uint8Array(3) }, rnd)
    const u = b.slice(); u[16] = 200
    expect(() => decodeRelayBody(u)).toThrow(UnknownCommandError)
    const l = b.slice(); l[19] = 0x03; l[20] = 0xe9 // 1001
    expect(() => decodeRelayBody(l)).toThrow(MalformedCellError)
    expect(() => decodeRelayBody(b.subarray(1))).toThrow(MalformedCellError)
    expect(() => encodeRelayBody({ command: RelayCommand.DATA, streamId: 1, data: new Uint8Array(RELAY_DATA_MAX + 1) }, rnd)).toThrow(RangeError)
  })
})

describe('relay messages', () => {
  const arbExtend: fc.Arbitrary<ExtendMsg> = fc.record({
    linkSpec: fc.uint8Array({ minLength: 1, maxLength: 255 }),
    nodeId: fc.uint8Array({ minLength: NODE_ID_LEN, maxLength: NODE_ID_LEN }),
    htype: fc.constant(HandshakeType.NTOR),
    hdata: fc.uint8Array({ maxLength: 600 })
  })

  it('round-trip (property)', () => {
    fc.assert(fc.property(arbExtend, (m) => { expect(decodeExtend(encodeExtend(m))).toEqual(m) }))
    fc.assert(fc.property(fc.uint8Array({ maxLength: RELAY_DATA_MAX - 2 }), (h) => { expect(decodeExtended(encodeExtended(h))).toEqual(h) }))
    fc.assert(fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (d) => { expect(decodeSendme(encodeSendme(d))).toEqual(d) }))
    for (const r of Object.values(EndReason)) expect(decodeEnd(encodeEnd(r))).toBe(r)
    for (const r of Object.values(DestroyReason)) expect(decodeTruncated(encodeTruncated(r))).toBe(r)
  })

  it('EXTEND layout', () => {
    const m = encodeExtend({ linkSpec: fromHex('aa'), nodeId: new Uint8Array(32).fill(1), htype: HandshakeType.NTOR, hdata: fromHex('bbcc') })
    expect(toHex(m)).toBe('01aa' + '01'.repeat(32) + '0002' + '0002' + 'bbcc')
  })

  it('reject trailing bytes, truncation and unknown values', () => {
    const ext = encodeExtend({ linkSpec: fromHex('aa'), nodeId: new Uint8Array(32), htype: HandshakeType.NTOR, hdata: fromHex('bb') })
    expect(() => decodeExtend(Uint8Array.of(...ext, 0))).toThrow(MalformedCellError)
    expect(() => decodeExtend(ext.subarray(0, ext.length - 1))).toThrow(MalformedCellError)
    const zeroLs = ext.slice(); zeroLs[0] = 0
    expect(() => decodeExtend(zeroLs)).toThrow(MalformedCellError)
    const badType = ext.slice(); badType[35] = 7
    expect(() => decodeExtend(badType)).toThrow(UnknownCommandError)
    expect(() => decodeEnd(Uint8Array.of(99))).toThrow(MalformedCellError)
    expect(() => decodeEnd(new Uint8Array(0))).toThrow(MalformedCellError)
    expect(() => decodeTruncated(Uint8Array.of(1, 2))).toThrow(MalformedCellError)
    expect(() => decodeSendme(Uint8Array.of(0))).toThrow(MalformedCellError)
    expect(() => decodeSendme(Uint8Array.of(1, 0, 20, ...new Uint8Array(20)))).toThrow(MalformedCellError)
    // tor1's 32-byte running digest is not a CGO tag
    expect(() => decodeSendme(Uint8Array.of(1, 0, 32, ...new Uint8Array(32)))).toThrow(MalformedCellError)
  })
})

describe('every decoder on garbage throws only ProtocolErrors (property)', () => {
  it('link cells', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: CELL_SIZE, maxLength: CELL_SIZE }), fc.integer({ min: 0, max: 5 }), fc.boolean(), (bytes, cmd, zeroCirc) => {
      bytes[4] = cmd // bias toward known commands so the body decoders run
      if (zeroCirc) bytes.fill(0, 0, 4)
      onlyProtocolErrors(() => decodeCell(bytes))
    }), { numRuns: 500 })
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2 * CELL_SIZE }), (bytes) => onlyProtocolErrors(() => decodeCell(bytes))))
  })
  it('relay bodies', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: RELAY_BODY_LEN, maxLength: RELAY_BODY_LEN }), fc.boolean(), (bytes, zeroRec) => {
      if (zeroRec) { bytes[1] = 0; bytes[2] = 0; bytes[0] = (bytes[0] as number) % 12; bytes[9] = (bytes[9] as number) & 3 }
      onlyProtocolErrors(() => decodeRelayBody(bytes))
    }), { numRuns: 500 })
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2 * RELAY_BODY_LEN }), (bytes) => onlyProtocolErrors(() => decodeRelayBody(bytes))))
  })
  it('relay messages', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
      for (const d of [decodeExtend, decodeExtended, decodeEnd, decodeTruncated, decodeSendme]) onlyProtocolErrors(() => d(bytes))
    }), { numRuns: 500 })
    // near-valid EXTENDs: a correct prefix followed by garbage
    fc.assert(fc.property(fc.uint8Array({ maxLength: 80 }), (tail) => {
      onlyProtocolErrors(() => decodeExtend(Uint8Array.of(1, 0xaa, ...new Uint8Array(32), 0, 2, ...tail)))
      onlyProtocolErrors(() => decodeSendme(Uint8Array.of(1, 0, 16, ...tail)))
    }))
  })
})
