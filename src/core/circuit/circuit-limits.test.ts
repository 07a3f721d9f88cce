/**
 * The count and rate limits hold against a client or neighbour that pushes
 * them: concurrent builds, and a neighbour reconnecting to refill its CREATE
 * budget (dos-spec's circuit creation limits).
 */
import { describe, expect, it } from 'vitest'
import { isProtocolError } from '../errors.ts'
import { DestroyReason } from '../cell/index.ts'
import { CircuitClosedError } from './errors.ts'
import { CircuitLimitError } from './router.ts'
import { TestNetwork } from './test-network.ts'

describe('circuit limits', () => {
  it('the per-neighbour CREATE rate limit survives the neighbour closing and reopening its channel', async () => {
    const t = new TestNetwork(113)
    const a = t.addPeer('a')
    const r = t.addPeer('r', { createBurst: 3, createRatePerSecond: 0.001 })
    const build = async (n: number): Promise<number> => {
      const results = await t.settle(Promise.allSettled(Array.from({ length: n }, async () => await a.router.buildCircuit([r.info]))))
      return results.filter(x => x.status === 'fulfilled').length
    }
    expect(await build(4)).toBe(3)
    // The neighbour closes its last channel and opens a new one (on libp2p: a new stream, one round trip).
    r.router.handleLinkClosed('a')
    a.router.handleLinkClosed('r')
    expect(await build(3)).toBe(0)
  })

  it('one neighbour cannot take the whole relay table: another neighbour still gets its circuits (resource exhaustion through one neighbour)', async () => {
    const t = new TestNetwork(115)
    const r = t.addPeer('r', { maxRelayCircuits: 8, maxRelayCircuitsPerNeighbour: 4 })
    const flooder = t.addPeer('m')
    const honest = t.addPeer('h')
    const build = async (from: typeof flooder, n: number): Promise<PromiseSettledResult<unknown>[]> =>
      await t.settle(Promise.allSettled(Array.from({ length: n }, async () => await from.router.buildCircuit([r.info]))))
    const flood = await build(flooder, 8)
    expect(flood.filter(x => x.status === 'fulfilled')).toHaveLength(4)
    // Refused at once with RESOURCELIMIT (not left to time out), even for CREATEs that arrived together.
    const refusals = flood.filter((x): x is PromiseRejectedResult => x.status === 'rejected').map(x => x.reason as CircuitClosedError)
    expect(refusals.every(e => isProtocolError(e, 'destroyed') && e.reason === DestroyReason.RESOURCELIMIT)).toBe(true)
    expect(await build(honest, 4).then(rs => rs.filter(x => x.status === 'fulfilled').length)).toBe(4)
    expect(r.router.stats().relayCircuits).toBe(8)
  })

  it('maxClientCircuits holds for concurrent buildCircuit calls', async () => {
    const t = new TestNetwork(114)
    const a = t.addPeer('a', { maxClientCircuits: 2 })
    const r = t.addPeer('r')
    const results = await t.settle(Promise.allSettled(Array.from({ length: 5 }, async () => await a.router.buildCircuit([r.info]))))
    expect(results.filter(x => x.status === 'fulfilled').length).toBe(2)
    expect(results.filter(x => x.status === 'rejected').every(x => (x as PromiseRejectedResult).reason instanceof CircuitLimitError)).toBe(true)
    expect(a.router.stats().clientCircuits).toBeLessThanOrEqual(2)
  })
})
