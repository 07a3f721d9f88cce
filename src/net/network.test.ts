import { describe, expect, it } from 'vitest'
import { surplusConnections } from './network.ts'

describe('peer manager: surplus connections', () => {
  const conns = [
    { peer: 'a', openedAt: 1 },
    { peer: 'b', openedAt: 5 },
    { peer: 'c', openedAt: 3 },
    { peer: 'd', openedAt: 9 }
  ]

  it('closes the newest first', () => {
    expect(surplusConnections(conns, 2, () => false).map(c => c.peer)).toEqual(['d', 'b'])
  })

  it('never closes a connection that carries circuits, even if that leaves the tab above its limit', () => {
    const carrying = new Set(['d', 'b', 'c'])
    expect(surplusConnections(conns, 2, p => carrying.has(p)).map(c => c.peer)).toEqual(['a'])
    expect(surplusConnections(conns, 3, () => true)).toEqual([])
  })

  it('closes nothing when there is no excess', () => {
    expect(surplusConnections(conns, 0, () => false)).toEqual([])
  })
})
