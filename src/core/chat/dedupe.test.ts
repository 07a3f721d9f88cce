import { describe, expect, it } from 'vitest'
import { SEEN_IDS_MAX, SeenIds } from './index.ts'

describe('SeenIds', () => {
  it('remembers ids, bounded FIFO', () => {
    const s = new SeenIds(3)
    for (const id of ['a', 'b', 'a', 'c']) s.add(id)
    expect(s.toArray()).toEqual(['a', 'b', 'c'])
    s.add('d')
    expect(s.has('a')).toBe(false)
    expect(s.has('d')).toBe(true)
    expect(s.toArray()).toEqual(['b', 'c', 'd'])
  })

  it('defaults to SEEN_IDS_MAX and round-trips through toArray/from', () => {
    const s = new SeenIds()
    for (let i = 0; i < SEEN_IDS_MAX + 10; i++) s.add(String(i))
    expect(s.size).toBe(SEEN_IDS_MAX)
    expect(s.has('9')).toBe(false)
    expect(s.has('10')).toBe(true)
    const t = SeenIds.from(s.toArray())
    expect(t.toArray()).toEqual(s.toArray())
    expect(SeenIds.from(['x', 'y', 'z'], 2).toArray()).toEqual(['y', 'z'])
    expect(() => new SeenIds(0)).toThrow(RangeError)
  })
})
