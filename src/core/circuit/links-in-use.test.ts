import { describe, expect, it } from 'vitest'
import { nobleDh } from '../crypto/index.ts'
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

describe('OnionRouter.hasCircuitsWith while a CREATE is being answered', () => {
  it('is true for the predecessor before the relay circuit exists', async () => {
    const t = new TestNetwork(42)
    let open = (): void => {}
    const gate = new Promise<void>(resolve => { open = resolve })
    // The relay's X25519 waits for the gate: its CREATE stays pending.
    const slowDh = { ...nobleDh, shared: async (s: Uint8Array, p: Uint8Array) => { await gate; return await nobleDh.shared(s, p) } }
    // Generous timeouts: the virtual clock runs on while the handshake waits.
    const a = t.addPeer('p0', { hopTimeoutMs: 600_000, buildTimeoutMs: 600_000 })
    const h1 = t.addPeer('p1', undefined, slowDh)
    const [h2, h3] = ['p2', 'p3'].map(id => t.addPeer(id))
    const build = a.router.buildCircuit([h1.info, h2!.info, h3!.info])
    build.catch(() => {})
    await t.net.runUntil(() => h1.router.hasCircuitsWith('p0'), 5_000)
    expect(h1.router.stats().relayCircuits).toBe(0)
    expect(h1.router.hasCircuitsWith('p0')).toBe(true)
    open()
    await t.settle(build)
    expect(h1.router.stats().relayCircuits).toBe(1)
  })
})
