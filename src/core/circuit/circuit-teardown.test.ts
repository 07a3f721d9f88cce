/**
 * Circuits end cleanly: no DESTROY goes back to the hop that sent it
 * (tor-spec §5.4), and a hop that goes silent fails the build within
 * hopTimeoutMs instead of holding it for the whole build timeout.
 */
import { describe, expect, it } from 'vitest'
import { LinkCommand } from '../cell/index.ts'
import { CircuitClosedError } from './router.ts'
import { networkOf as network, runFor, type TestPeer } from './test-network.ts'

describe('circuit teardown', () => {
  it('a client does not send DESTROY back to the hop that destroyed its circuit (tor-spec §5.4)', async () => {
    const t = network(112, 3, { p1: { idleCircuitMs: 4_000 } })
    const [a, r] = [t.peers.get('p0')!, t.peers.get('p1')!]
    const circ = await t.settle(a.router.buildCircuit([r.info]))
    const closed = new Promise<Error>(resolve => circ.onClose(resolve))
    t.net.recordWire = true
    // r's idle sweep destroys the circuit (FINISHED) and tells the client.
    const err = await t.settle(closed, 60_000)
    expect(err).toBeInstanceOf(CircuitClosedError)
    await runFor(t, 500)
    const destroyReasonsFromClient = t.net.wire.filter(w => w.from === 'p0' && w.cell[4] === LinkCommand.DESTROY).map(w => w.cell[5])
    expect(destroyReasonsFromClient).toEqual([])
  })
})

describe('a hop that goes silent', () => {
  it('a build whose hop never answers fails with CircuitTimeoutError after hopTimeoutMs, long before the build timeout', async () => {
    const t = network(131, 5, { p0: { hopTimeoutMs: 2_000, buildTimeoutMs: 30_000 } })
    const [a, h1, h2, h3] = ['p0', 'p1', 'p2', 'p3'].map(id => t.peers.get(id)!) as [TestPeer, TestPeer, TestPeer, TestPeer]
    // h2 left without its links closing: it swallows everything.
    h2.router.handleCell = () => {}
    const started = t.net.time
    const failed = a.router.buildCircuit([h1.info, h2.info, h3.info]).then(() => null, (err: unknown) => err)
    const err = await t.settle(failed)
    expect((err as Error).name).toBe('CircuitTimeoutError')
    expect(t.net.time - started).toBeGreaterThanOrEqual(2_000)
    expect(t.net.time - started).toBeLessThan(5_000)
    expect(a.router.stats().clientCircuits).toBe(0)
  })
})
