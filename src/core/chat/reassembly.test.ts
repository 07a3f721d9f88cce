import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  ChatFrameError, MAX_MESSAGE_BYTES, MAX_PENDING_MESSAGES, MSG_ID_LEN, PART_CHUNK_MAX, REASSEMBLY_TIMEOUT_MS, Reassembler,
  splitMessage, type ChatFrame
} from './index.ts'

type Part = Extract<ChatFrame, { type: 'part' }>
const TS = 1_750_000_000_000
const id = (n: number): Uint8Array => new Uint8Array(MSG_ID_LEN).fill(n)
const parts = (n: number, text: string): Part[] => splitMessage(id(n), TS, text) as Part[]
const TEXT = 'héllo 😀 世界 '.repeat(300) // several parts, characters cut across chunk boundaries

function clock (): { now: () => number, t: number } {
  const c = { t: 0, now: () => c.t }
  return c
}

describe('Reassembler', () => {
  it('reassembles parts in any order, ignoring duplicates', () => {
    const ps = parts(1, TEXT)
    expect(ps.length).toBeGreaterThan(4)
    const dup = fc.tuple(fc.nat(ps.length - 2), fc.nat(ps.length - 1))
    fc.assert(fc.property(fc.shuffledSubarray(ps, { minLength: ps.length, maxLength: ps.length }), fc.array(dup, { maxLength: 10 }), (order, dups) => {
      const r = new Reassembler(clock())
      const feed = order.slice(0, -1)
      for (const [k, at] of dups) feed.splice(at, 0, order[k] as Part) // copies of all but the last part, anywhere before it
      feed.push(order.at(-1) as Part)
      const results = feed.map((p) => r.accept(p))
      const done = results.filter((x) => x !== null)
      expect(done).toHaveLength(1)
      expect(results.at(-1)).toEqual({ msgId: id(1), timestamp: TS, text: TEXT })
      expect(r.pending).toBe(0)
    }), { numRuns: 100 })
  })

  it('keeps messages apart by id, and a resent message reassembles again', () => {
    const r = new Reassembler(clock())
    const a = parts(1, TEXT)
    const b = parts(2, 'other '.repeat(400))
    expect(r.accept(a[0] as Part)).toBeNull()
    expect(r.accept(b[0] as Part)).toBeNull()
    expect(r.pending).toBe(2)
    for (const p of b.slice(1, -1)) expect(r.accept(p)).toBeNull()
    expect(r.accept(b.at(-1) as Part)?.text).toBe('other '.repeat(400))
    for (const p of a.slice(1, -1)) expect(r.accept(p)).toBeNull()
    expect(r.accept(a.at(-1) as Part)?.text).toBe(TEXT)
    expect(r.accept(parts(3, 'one')[0] as Part)?.text).toBe('one')
    const again = a.map((p) => r.accept(p))
    expect(again.at(-1)?.text).toBe(TEXT)
  })

  it('refuses a part whose count or timestamp disagrees, and drops the message', () => {
    const r = new Reassembler(clock())
    const ps = parts(1, TEXT)
    r.accept(ps[0] as Part)
    expect(() => r.accept({ ...(ps[1] as Part), count: ps.length + 1 })).toThrow(ChatFrameError)
    expect(r.pending).toBe(0)
    r.accept(ps[0] as Part)
    expect(() => r.accept({ ...(ps[1] as Part), timestamp: TS + 1 })).toThrow(ChatFrameError)
    expect(r.pending).toBe(0)
  })

  it('refuses invalid UTF-8 and messages over MAX_MESSAGE_BYTES', () => {
    const r = new Reassembler(clock())
    const bad: Part = { type: 'part', msgId: id(1), timestamp: TS, index: 0, count: 1, chunk: Uint8Array.of(0xc3, 0x28) }
    expect(() => r.accept(bad)).toThrow(ChatFrameError)
    const count = Math.ceil((MAX_MESSAGE_BYTES + 1) / PART_CHUNK_MAX)
    expect(() => {
      for (let index = 0; index < count; index++) r.accept({ ...bad, msgId: id(2), count, index, chunk: new Uint8Array(PART_CHUNK_MAX).fill(0x61) })
    }).toThrow(ChatFrameError)
    expect(r.pending).toBe(0)
  })

  it('prune drops messages older than REASSEMBLY_TIMEOUT_MS', () => {
    const c = clock()
    const r = new Reassembler(c)
    r.accept(parts(1, TEXT)[0] as Part)
    c.t = REASSEMBLY_TIMEOUT_MS / 2
    r.accept(parts(2, TEXT)[0] as Part)
    c.t = REASSEMBLY_TIMEOUT_MS - 1
    r.prune()
    expect(r.pending).toBe(2)
    c.t = REASSEMBLY_TIMEOUT_MS
    r.prune()
    expect(r.pending).toBe(1)
    c.t = REASSEMBLY_TIMEOUT_MS * 2
    r.prune()
    expect(r.pending).toBe(0)
  })

  it('holds at most MAX_PENDING_MESSAGES, dropping the oldest', () => {
    const r = new Reassembler(clock())
    const msgs = Array.from({ length: MAX_PENDING_MESSAGES + 5 }, (_, i) => parts(i, TEXT))
    for (const m of msgs) r.accept(m[0] as Part)
    r.prune()
    expect(r.pending).toBe(MAX_PENDING_MESSAGES)
    // The newest still complete; the oldest starts over (its first part was dropped).
    const newest = msgs.at(-1) as Part[]
    expect(newest.slice(1).map((p) => r.accept(p)).at(-1)?.text).toBe(TEXT)
    const oldest = msgs[0] as Part[]
    expect(oldest.slice(1).map((p) => r.accept(p)).at(-1)).toBeNull()
  })
})
