import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isProtocolError } from '../errors.ts'
import {
  CHAT_PAYLOAD_MAX, ChatFrameError, EmptyMessageError, MAX_MESSAGE_BYTES, MAX_PARTS, MSG_ID_LEN, MessageTooLongError,
  PART_CHUNK_MAX, PART_HEADER_LEN, Reassembler, decodeChatFrame, encodeChatFrame, splitMessage, type ChatFrame
} from './index.ts'

const ID = Uint8Array.from({ length: MSG_ID_LEN }, (_, i) => i + 1)
const TS = 1_750_000_000_123

function part (over: Partial<Extract<ChatFrame, { type: 'part' }>> = {}): ChatFrame {
  return { type: 'part', msgId: ID, timestamp: TS, index: 0, count: 1, chunk: Uint8Array.of(104, 105), ...over }
}

function roundTrip (text: string): string {
  const frames = splitMessage(ID, TS, text)
  const r = new Reassembler({ now: () => 0 })
  let out: string | null = null
  for (const f of frames) {
    const enc = encodeChatFrame(f)
    expect(enc.length).toBeLessThanOrEqual(CHAT_PAYLOAD_MAX)
    const dec = decodeChatFrame(enc)
    if (dec.type !== 'part') throw new Error('not a part')
    const got = r.accept(dec)
    if (got !== null) { expect(got.timestamp).toBe(TS); expect(got.msgId).toEqual(ID); out = got.text }
  }
  expect(r.pending).toBe(0)
  if (out === null) throw new Error('not reassembled')
  return out
}

describe('constants', () => {
  it('match RENDEZVOUS.md §8', () => {
    expect(PART_HEADER_LEN).toBe(29)
    expect(PART_CHUNK_MAX).toBe(953)
    expect(MAX_PARTS).toBe(18)
  })
})

describe('chat frames', () => {
  it('round-trip every type', () => {
    const frames: ChatFrame[] = [
      part(),
      part({ index: MAX_PARTS - 1, count: MAX_PARTS, timestamp: Number.MAX_SAFE_INTEGER, chunk: new Uint8Array(PART_CHUNK_MAX).fill(7) }),
      part({ timestamp: 0 }),
      { type: 'ack', msgId: ID },
      { type: 'control', msgId: ID, timestamp: TS, what: 'accept' },
      { type: 'control', msgId: ID, timestamp: TS, what: 'decline' }
    ]
    for (const f of frames) expect(decodeChatFrame(encodeChatFrame(f))).toEqual(f)
    expect(encodeChatFrame(part({ chunk: new Uint8Array(PART_CHUNK_MAX) })).length).toBe(CHAT_PAYLOAD_MAX)
    expect(encodeChatFrame({ type: 'ack', msgId: ID }).length).toBe(17)
  })

  it('has the documented layout', () => {
    const b = encodeChatFrame(part({ timestamp: 0x0102_0304_0506, index: 2, count: 3 }))
    expect([...b.subarray(0, 1)]).toEqual([1])
    expect([...b.subarray(17, 29)]).toEqual([0, 0, 1, 2, 3, 4, 5, 6, 0, 2, 0, 3])
    expect([...encodeChatFrame({ type: 'control', msgId: ID, timestamp: 1, what: 'decline' })].slice(-2)).toEqual([1, 2])
  })

  it('refuses bad arguments with RangeError', () => {
    const bad: ChatFrame[] = [
      part({ msgId: new Uint8Array(15) }),
      part({ timestamp: -1 }), part({ timestamp: 1.5 }), part({ timestamp: 2 ** 53 }),
      part({ index: 1, count: 1 }), part({ index: -1 }), part({ count: 0 }), part({ count: MAX_PARTS + 1, index: 0 }),
      part({ chunk: new Uint8Array(0) }), part({ chunk: new Uint8Array(PART_CHUNK_MAX + 1) }),
      { type: 'ack', msgId: new Uint8Array(17) },
      { type: 'control', msgId: ID, timestamp: TS, what: 'maybe' as 'accept' }
    ]
    for (const f of bad) expect(() => encodeChatFrame(f)).toThrow(RangeError)
  })

  it('refuses every malformed frame with ChatFrameError', () => {
    const good = encodeChatFrame(part())
    const ack = encodeChatFrame({ type: 'ack', msgId: ID })
    const ctl = encodeChatFrame({ type: 'control', msgId: ID, timestamp: TS, what: 'accept' })
    const edit = (b: Uint8Array, at: number, ...v: number[]): Uint8Array => { const c = b.slice(); c.set(v, at); return c }
    const cases: Array<[string, Uint8Array]> = [
      ['empty', new Uint8Array(0)],
      ['unknown type 0', edit(ack, 0, 0)],
      ['unknown type 4', edit(ack, 0, 4)],
      ['part header only', good.subarray(0, PART_HEADER_LEN)],
      ['part truncated', good.subarray(0, 20)],
      ['part too long', Uint8Array.from([...encodeChatFrame(part({ chunk: new Uint8Array(PART_CHUNK_MAX) })), 0])],
      ['index >= count', edit(good, 25, 0, 1, 0, 1)],
      ['count 0', edit(good, 25, 0, 0, 0, 0)],
      ['count > MAX_PARTS', edit(good, 27, 0, MAX_PARTS + 1)],
      ['timestamp not safe', edit(good, 17, 0, 0x20, 0, 0, 0, 0, 0, 0)],
      ['timestamp all ones', edit(good, 17, 255, 255, 255, 255, 255, 255, 255, 255)],
      ['ack short', ack.subarray(0, 16)],
      ['ack trailing byte', Uint8Array.from([...ack, 0])],
      ['control short', ctl.subarray(0, ctl.length - 1)],
      ['control trailing byte', Uint8Array.from([...ctl, 1])],
      ['control code 0', edit(ctl, ctl.length - 1, 0)],
      ['control code 3', edit(ctl, ctl.length - 1, 3)],
      ['control timestamp not safe', edit(ctl, 17, 0xff)]
    ]
    for (const [what, b] of cases) {
      let err: unknown
      try { decodeChatFrame(b) } catch (e) { err = e }
      expect(err, what).toBeInstanceOf(ChatFrameError)
      expect(isProtocolError(err, 'malformed-cell'), what).toBe(true)
    }
    expect(decodeChatFrame(edit(good, 17, 0, 0x1f, 255, 255, 255, 255, 255, 255))).toMatchObject({ timestamp: Number.MAX_SAFE_INTEGER })
  })

  it('random bytes only ever throw ChatFrameError', () => {
    const check = (b: Uint8Array): void => {
      try { decodeChatFrame(b) } catch (e) { if (!(e instanceof ChatFrameError)) throw e }
    }
    fc.assert(fc.property(fc.uint8Array({ maxLength: CHAT_PAYLOAD_MAX + 20 }), check), { numRuns: 2000 })
    // Biased towards valid types and plausible lengths, so the field checks are reached.
    const typed = fc.tuple(fc.integer({ min: 0, max: 4 }), fc.uint8Array({ minLength: 15, maxLength: 40 }))
      .map(([t, rest]) => Uint8Array.from([t, ...rest]))
    fc.assert(fc.property(typed, check), { numRuns: 2000 })
  })

  it('decoded frames re-encode to the same bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 17, maxLength: 60 }), fc.integer({ min: 1, max: 3 }), (rest, t) => {
      const b = Uint8Array.from([t, ...rest])
      let f: ChatFrame
      try { f = decodeChatFrame(b) } catch { return }
      expect(encodeChatFrame(f)).toEqual(b)
    }))
  })
})

describe('splitMessage', () => {
  it('round-trips ASCII, emoji and CJK text', () => {
    for (const text of ['hi', ' padded \n', 'a'.repeat(PART_CHUNK_MAX), 'a'.repeat(PART_CHUNK_MAX + 1), '😀'.repeat(1000), '漢字かな'.repeat(700), 'é👍🏽中'.repeat(321)]) {
      expect(roundTrip(text)).toBe(text)
    }
    fc.assert(fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 3000 }).filter((s) => s.trim() !== ''), (s) => {
      expect(roundTrip(s)).toBe(s)
    }), { numRuns: 50 })
  })

  it('splits into full chunks and accepts exactly MAX_MESSAGE_BYTES', () => {
    const text = 'x'.repeat(MAX_MESSAGE_BYTES)
    const frames = splitMessage(ID, TS, text)
    expect(frames.length).toBe(MAX_PARTS)
    expect(frames.map((f) => f.type === 'part' ? f.chunk.length : 0).slice(0, -1).every((n) => n === PART_CHUNK_MAX)).toBe(true)
    expect(roundTrip(text)).toBe(text)
    const multi = '€'.repeat(MAX_MESSAGE_BYTES / 4) + '😀'.repeat(MAX_MESSAGE_BYTES / 8) // 3×4096 + 4×2048 bytes > limit
    expect(() => splitMessage(ID, TS, multi)).toThrow(MessageTooLongError)
    const exact = '😀'.repeat(MAX_MESSAGE_BYTES / 4)
    expect(roundTrip(exact)).toBe(exact)
  })

  it('refuses over-long and empty messages with user-facing errors', () => {
    expect(() => splitMessage(ID, TS, 'x'.repeat(MAX_MESSAGE_BYTES + 1))).toThrow(new MessageTooLongError())
    expect(() => splitMessage(ID, TS, '😀'.repeat(MAX_MESSAGE_BYTES / 4) + 'x')).toThrow(MessageTooLongError)
    expect(new MessageTooLongError().message).toBe('Messages are limited to 16 KiB.')
    expect(new MessageTooLongError().name).toBe('MessageTooLongError')
    for (const t of ['', ' ', '\n\t ', '\u00a0\u3000']) expect(() => splitMessage(ID, TS, t)).toThrow(EmptyMessageError)
    expect(new EmptyMessageError().message).toBe('Type a message first.')
    expect(new EmptyMessageError().name).toBe('EmptyMessageError')
  })

  it('refuses bad arguments with RangeError', () => {
    expect(() => splitMessage(new Uint8Array(8), TS, 'hi')).toThrow(RangeError)
    expect(() => splitMessage(ID, -5, 'hi')).toThrow(RangeError)
    expect(() => splitMessage(ID, TS, 'a\ud800b')).toThrow(RangeError)
  })
})
