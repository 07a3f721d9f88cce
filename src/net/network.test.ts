import { describe, expect, it } from 'vitest'
import { SURPLUS_GRACE_MS, surplusConnections } from './network.ts'

describe('peer manager: surplus connections', () => {
  const conns = [
    { peer: 'a', openedAt: 1 },
    { peer: 'b', openedAt: 5 },
    { peer: 'c', openedAt: 3 },
    { peer: 'd', openedAt: 9 }
  ]

  const now = 9 + SURPLUS_GRACE_MS

  it('closes the newest first', () => {
    expect(surplusConnections(conns, 2, () => false, now).map(c => c.peer)).toEqual(['d', 'b'])
  })

  it('never closes a connection younger than the grace period (a CREATE may be on its way)', () => {
    expect(surplusConnections(conns, 2, () => false, now - 1).map(c => c.peer)).toEqual(['b', 'c'])
  })

  it('never closes a connection that carries circuits, even if that leaves the tab above its limit', () => {
    const carrying = new Set(['d', 'b', 'c'])
    expect(surplusConnections(conns, 2, p => carrying.has(p), now).map(c => c.peer)).toEqual(['a'])
    expect(surplusConnections(conns, 3, () => true, now)).toEqual([])
  })

  it('closes nothing when there is no excess', () => {
    expect(surplusConnections(conns, 0, () => false, now)).toEqual([])
  })
})
