import { describe, expect, it } from 'vitest'
import { Adjacency, ADJACENCY_TTL_MS } from './adjacency.ts'

describe('adjacency (who can signal to whom)', () => {
  it('routes to a peer through the neighbours that reported it, freshest first, only while they are neighbours', () => {
    let now = 1_000
    const adj = new Adjacency(() => now)
    adj.record('b', ['c', 'd'])
    now += 10
    adj.record('e', ['c'])
    expect(adj.routesTo('c', () => true)).toEqual(['e', 'b'])
    expect(adj.routesTo('c', p => p === 'b')).toEqual(['b'])
    expect(adj.routesTo('x', () => true)).toEqual([])
  })

  it('forgets a neighbour\'s reports when it leaves, and a route that failed', () => {
    const adj = new Adjacency(() => 0)
    adj.record('b', ['c', 'd'])
    adj.forgetRoute('b', 'c')
    expect(adj.routesTo('c', () => true)).toEqual([])
    expect(adj.routesTo('d', () => true)).toEqual(['b'])
    adj.forgetNeighbour('b')
    expect(adj.routesTo('d', () => true)).toEqual([])
    expect(adj.size).toBe(0)
  })

  it('reports age out, and a neighbour never routes to itself', () => {
    let now = 0
    const adj = new Adjacency(() => now)
    adj.record('b', ['b', 'c'])
    expect(adj.routesTo('b', () => true)).toEqual([])
    now = ADJACENCY_TTL_MS + 1
    expect(adj.routesTo('c', () => true)).toEqual([])
  })

  it('a new report replaces the old one', () => {
    const adj = new Adjacency(() => 0)
    adj.record('b', ['c'])
    adj.record('b', ['d'])
    expect(adj.routesTo('c', () => true)).toEqual([])
    expect(adj.routesTo('d', () => true)).toEqual(['b'])
  })
})
