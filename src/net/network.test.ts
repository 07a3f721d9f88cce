import { describe, expect, it } from 'vitest'
import { ADDRESS_DIAL_TIMEOUT_MS } from './constants.ts'
import { SURPLUS_GRACE_MS, finishedSignalling, surplusConnections } from './network.ts'

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

describe('peer manager: relayed signalling connections', () => {
  const directOpenedAt = 10_000
  const now = 12_000

  it('closes the relayed connections that set up the direct one (opened before it)', () => {
    const relayed = [{ id: 'setup', openedAt: 9_800 }, { id: 'earlier', openedAt: 2_000 }]
    expect(finishedSignalling(relayed, directOpenedAt, now).map(c => c.id)).toEqual(['setup', 'earlier'])
  })

  it('leaves one that opened after the direct one: the peer is redialling (its end of the direct connection is dead)', () => {
    const relayed = [{ id: 'redial', openedAt: 11_900 }]
    expect(finishedSignalling(relayed, directOpenedAt, now)).toEqual([])
  })

  it('closes even a later one once it is older than a whole address dial', () => {
    const relayed = [{ id: 'stale', openedAt: 11_000 }]
    expect(finishedSignalling(relayed, directOpenedAt, 11_000 + ADDRESS_DIAL_TIMEOUT_MS).map(c => c.id)).toEqual(['stale'])
    expect(finishedSignalling(relayed, directOpenedAt, 11_000 + ADDRESS_DIAL_TIMEOUT_MS - 1)).toEqual([])
  })
})
