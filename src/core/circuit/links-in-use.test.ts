import { describe, expect, it } from 'vitest'
import { TestNetwork } from './test-network.ts'

describe('OnionRouter.hasCircuitsWith (which links the peer manager must keep)', () => {
  it('is true for a client\'s first hop and a relay\'s both sides while the circuit lives, false after', async () => {
    const t = new TestNetwork(41)
    const [a, h1, h2, h3] = ['p0', 'p1', 'p2', 'p3'].map(id => t.addPeer(id))
    const circ = await t.settle(a!.router.buildCircuit([h1!.info, h2!.info, h3!.info]))
    expect(a!.router.hasCircuitsWith('p1')).toBe(true)
    expect(a!.router.hasCircuitsWith('p2')).toBe(false) // a is not linked to p2
    expect(h2!.router.hasCircuitsWith('p1')).toBe(true)
    expect(h2!.router.hasCircuitsWith('p3')).toBe(true)
    expect(h2!.router.hasCircuitsWith('p0')).toBe(false)
    circ.destroy()
    await t.net.runUntil(() => !h2!.router.hasCircuitsWith('p3'), 10_000)
    expect(a!.router.hasCircuitsWith('p1')).toBe(false)
    expect(h1!.router.hasCircuitsWith('p2')).toBe(false)
    expect(h2!.router.hasCircuitsWith('p1')).toBe(false)
  })
})
