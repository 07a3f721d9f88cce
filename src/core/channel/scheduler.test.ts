import { describe, expect, it } from 'vitest'
import { ManualClock } from '../clock.ts'
import { CellScheduler, DEFAULT_EWMA_HALF_LIFE_MS, EWMA_REBASE_HALF_LIVES } from './scheduler.ts'
import { QueueFullError } from './errors.ts'
import { MAX_CELLS_PER_CHANNEL_QUEUE, MAX_CELLS_PER_CIRCUIT_QUEUE } from './limits.ts'

/** A 8-byte test cell: circuit id (u32) then a sequence number (u32). */
function cell (circId: number, seq: number): Uint8Array {
  const c = new Uint8Array(8)
  new DataView(c.buffer).setUint32(0, circId)
  new DataView(c.buffer).setUint32(4, seq)
  return c
}
const circOf = (c: Uint8Array): number => new DataView(c.buffer, c.byteOffset).getUint32(0)
const seqOf = (c: Uint8Array): number => new DataView(c.buffer, c.byteOffset).getUint32(4)

const BULK = 1
const CHAT = 2
const big = { maxCellsPerCircuit: 20_000, maxCellsPerChannel: 20_000 }

describe('CellScheduler (EWMA)', () => {
  it('a bulk circuit with 10 000 queued cells cannot starve a chat cell', () => {
    const clock = new ManualClock(0)
    const s = new CellScheduler({ clock, ...big })
    for (let i = 0; i < 10_000; i++) s.enqueue(BULK, cell(BULK, i))
    // bulk has been sending for a while
    for (let i = 0; i < 500; i++) { clock.advance(1); expect(circOf(s.next()!)).toBe(BULK) }
    s.enqueue(CHAT, cell(CHAT, 0))
    const picks = [circOf(s.next()!), circOf(s.next()!)]
    expect(picks).toContain(CHAT)
    expect(picks[0]).toBe(CHAT) // with any history, EWMA puts it first
    // and every later chat cell too, one at a time between bulk cells
    for (let k = 1; k <= 20; k++) {
      for (let i = 0; i < 50; i++) { clock.advance(1); s.next() }
      s.enqueue(CHAT, cell(CHAT, k))
      expect(circOf(s.next()!)).toBe(CHAT)
    }
  })

  it('a chat cell queued right after the bulk burst (no history yet) goes within two picks', () => {
    const s = new CellScheduler({ clock: new ManualClock(0), ...big })
    for (let i = 0; i < 10_000; i++) s.enqueue(BULK, cell(BULK, i))
    s.enqueue(CHAT, cell(CHAT, 0))
    expect([circOf(s.next()!), circOf(s.next()!)]).toContain(CHAT)
  })

  it('shares the link evenly between two bulk circuits and keeps FIFO order within each', () => {
    const clock = new ManualClock(0)
    const s = new CellScheduler({ clock, ...big })
    for (let i = 0; i < 1000; i++) { s.enqueue(10, cell(10, i)); s.enqueue(11, cell(11, i)) }
    const next = new Map([[10, 0], [11, 0]])
    for (let i = 0; i < 1000; i++) {
      clock.advance(3)
      const c = s.next()!
      expect(seqOf(c)).toBe(next.get(circOf(c)))
      next.set(circOf(c), seqOf(c) + 1)
    }
    expect(Math.abs(next.get(10)! - next.get(11)!)).toBeLessThanOrEqual(1)
  })

  it('decays a circuit\'s average with the half-life', () => {
    const clock = new ManualClock(0)
    const s = new CellScheduler({ clock })
    for (let i = 0; i < 100; i++) s.enqueue(BULK, cell(BULK, i))
    for (let i = 0; i < 100; i++) s.next()
    expect(s.ewma(BULK)).toBeCloseTo(100, 6)
    clock.advance(DEFAULT_EWMA_HALF_LIFE_MS)
    expect(s.ewma(BULK)).toBeCloseTo(50, 6)
    expect(s.ewma(999)).toBe(0)
  })

  it('stays finite and correct across many half-lives (reference rebasing) and a clock that steps back', () => {
    const clock = new ManualClock(0)
    const s = new CellScheduler({ clock, halfLifeMs: 100 })
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 10; i++) s.enqueue(BULK, cell(BULK, i))
      for (let i = 0; i < 10; i++) s.next()
      clock.advance(EWMA_REBASE_HALF_LIVES * 100 + 7)
    }
    expect(Number.isFinite(s.ewma(BULK))).toBe(true)
    clock.advance(-1_000_000)
    for (let i = 0; i < 5; i++) s.enqueue(BULK, cell(BULK, i))
    s.enqueue(CHAT, cell(CHAT, 0))
    expect(circOf(s.next()!)).toBe(CHAT)
    expect(s.size).toBe(5)
  })

  it('is plain round-robin with a half-life of 0', () => {
    const s = new CellScheduler({ clock: new ManualClock(0), halfLifeMs: 0 })
    for (const id of [5, 6, 7]) for (let i = 0; i < 4; i++) s.enqueue(id, cell(id, i))
    const order = Array.from({ length: 12 }, () => circOf(s.next()!))
    expect(order).toEqual([5, 6, 7, 5, 6, 7, 5, 6, 7, 5, 6, 7])
    expect(s.next()).toBeUndefined()
  })
})

describe('CellScheduler bounds', () => {
  it('defaults to the documented limits', () => {
    const s = new CellScheduler({ clock: new ManualClock(0) })
    for (let i = 0; i < MAX_CELLS_PER_CIRCUIT_QUEUE; i++) s.enqueue(1, cell(1, i))
    expect(() => s.enqueue(1, cell(1, 0))).toThrow(QueueFullError)
    let circ = 2
    while (s.size < MAX_CELLS_PER_CHANNEL_QUEUE) s.enqueue(circ++ % 100 + 2, cell(0, 0))
    expect(() => s.enqueue(500, cell(500, 0))).toThrow(QueueFullError)
  })

  it('bounds each circuit and the channel, storing nothing on overflow', () => {
    const s = new CellScheduler({ clock: new ManualClock(0), maxCellsPerCircuit: 3, maxCellsPerChannel: 5 })
    for (let i = 0; i < 3; i++) s.enqueue(1, cell(1, i))
    try { s.enqueue(1, cell(1, 3)); expect.unreachable() } catch (err) {
      expect(err).toBeInstanceOf(QueueFullError)
      expect((err as QueueFullError).scope).toBe('circuit')
      expect((err as QueueFullError).kind).toBe('queue-full')
    }
    s.enqueue(2, cell(2, 0)); s.enqueue(2, cell(2, 1))
    try { s.enqueue(3, cell(3, 0)); expect.unreachable() } catch (err) {
      expect((err as QueueFullError).scope).toBe('channel')
    }
    expect(s.size).toBe(5)
    expect(s.queued(1)).toBe(3)
    expect(s.queued(3)).toBe(0)
    expect(s.heaviestCircuit()).toBe(1)
    expect(() => s.enqueue(-1, cell(0, 0))).toThrow(RangeError)
  })

  it('dropCircuit frees its cells and its slot', () => {
    const s = new CellScheduler({ clock: new ManualClock(0), maxCellsPerCircuit: 10, maxCellsPerChannel: 10 })
    for (let i = 0; i < 10; i++) s.enqueue(1, cell(1, i))
    expect(() => s.enqueue(2, cell(2, 0))).toThrow(QueueFullError)
    expect(s.dropCircuit(1)).toBe(10)
    expect(s.dropCircuit(1)).toBe(0)
    expect(s.size).toBe(0)
    expect(s.activeCircuits).toBe(0)
    expect(s.next()).toBeUndefined()
    s.enqueue(2, cell(2, 0))
    expect(circOf(s.next()!)).toBe(2)
  })

  it('compacts long queues without losing or reordering cells', () => {
    const s = new CellScheduler({ clock: new ManualClock(0), ...big })
    for (let i = 0; i < 5000; i++) s.enqueue(1, cell(1, i))
    for (let i = 0; i < 5000; i++) {
      expect(seqOf(s.next()!)).toBe(i)
      if (i % 3 === 0) s.enqueue(1, cell(1, 5000 + i))
    }
    let last = -1
    for (let c = s.next(); c != null; c = s.next()) { expect(seqOf(c)).toBeGreaterThan(last); last = seqOf(c) }
    expect(s.size).toBe(0)
  })
})
