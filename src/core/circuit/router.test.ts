import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { CELL_SIZE } from '../constants.ts'
import { decodeCell, HandshakeType, LinkCommand } from '../cell/index.ts'
import { DigestMismatchError, isProtocolError } from '../errors.ts'
import { contains, TestNetwork } from './test-network.ts'
import { CircuitClosedError } from './router.ts'

const MARKER = new TextEncoder().encode('PLAINTEXT-MARKER-7f3a')

function network (seed: number, n: number): TestNetwork {
  const t = new TestNetwork(seed)
  for (let i = 0; i < n; i++) t.addPeer(`p${i}`)
  return t
}

describe('OnionRouter circuits', () => {
  it('builds a 3-hop circuit by telescoping and echoes data; relays see only whole cells and no plaintext', async () => {
    const t = network(1, 5)
    t.net.recordWire = true
    const [a, h1, h2, h3] = ['p0', 'p1', 'p2', 'p3'].map(id => t.peers.get(id)!)
    const progress: string[] = []
    const circ = await t.settle(a!.router.buildCircuit([h1!.info, h2!.info, h3!.info], p => progress.push(`${p.hop}:${p.state}`), { telescope: true }))
    expect(progress).toEqual(['0:extending', '0:open', '1:extending', '1:open', '2:extending', '2:open'])
    // Telescoping: one plain-ntor CREATE per hop, the later ones sent by the hop before.
    const creates = t.net.wire.map(w => ({ ...w, c: decodeCell(w.cell) })).filter(w => w.c.msg.command === LinkCommand.CREATE)
    expect(creates.map(w => `${w.from}>${w.to}`)).toEqual(['p0>p1', 'p1>p2', 'p2>p3'])
    expect(creates.every(w => w.c.msg.command === LinkCommand.CREATE && w.c.msg.htype === HandshakeType.NTOR)).toBe(true)
    expect(h1!.router.stats().relayCircuits).toBe(1)
    expect(h2!.router.stats().relayCircuits).toBe(1)
    expect(h3!.router.stats().relayCircuits).toBe(1)

    const message = new Uint8Array(3000)
    message.set(MARKER, 100)
    message.set(MARKER, 2500)
    const echoed = await t.settle(circ.echo(message))
    expect(echoed).toEqual(message)

    // Each hop knows only its neighbours: h2's links are h1 and h3.
    const h2Links = t.net.wire.filter(w => w.from === 'p2' || w.to === 'p2').map(w => (w.from === 'p2' ? w.to : w.from))
    expect(new Set(h2Links)).toEqual(new Set(['p1', 'p3']))
    expect(t.net.wire.length).toBeGreaterThan(10)
    for (const w of t.net.wire) {
      expect(w.cell.length).toBe(CELL_SIZE)
      expect(contains(w.cell, MARKER)).toBe(false)
    }
  })

  it('moves 1.2 MB each way through a circuit under SENDME flow control', async () => {
    const t = network(2, 4)
    const [a, h1, h2, h3] = ['p0', 'p1', 'p2', 'p3'].map(id => t.peers.get(id)!)
    const circ = await t.settle(a!.router.buildCircuit([h1!.info, h2!.info, h3!.info]))
    // 1,000 cells each way: past the 1,000-cell window, so SENDMEs must flow.
    const big = new Uint8Array(1_200_000).map((_, i) => i & 0xff)
    expect(await t.settle(circ.echo(big), 600_000)).toEqual(big)
    await t.settle(circ.sink(1_200_000), 600_000)
    expect(circ.state).toBe('open')
  })

  it('a tampered relay cell destroys the circuit on both sides with a named error; the tab goes on', async () => {
    const t = network(3, 5)
    const [a, h1, h2, h3] = ['p0', 'p1', 'p2', 'p3'].map(id => t.peers.get(id)!)
    const circ = await t.settle(a!.router.buildCircuit([h1!.info, h2!.info, h3!.info]))
    // Flip one bit of the next RELAY cell h2 forwards to h3 (an active attacker on that link).
    let flipped = false
    const orig3 = h3!.router.handleCell.bind(h3!.router)
    h3!.router.handleCell = (from, cell) => {
      if (!flipped && from === 'p2' && cell[4] === LinkCommand.RELAY) { cell = cell.slice(); cell[200]! ^= 1; flipped = true }
      orig3(from, cell)
    }
    const closed = new Promise<Error>(resolve => circ.onClose(resolve))
    void circ.echo(new Uint8Array(10)).catch(() => {})
    const err = await t.settle(closed)
    expect(flipped).toBe(true)
    expect(isProtocolError(err)).toBe(true)
    await t.net.runUntil(() => [h1, h2, h3].every(h => h!.router.stats().relayCircuits === 0), 60_000)
    expect([h1, h2, h3].map(h => h!.router.stats().relayCircuits)).toEqual([0, 0, 0])
    // The same tabs still build and use circuits.
    const again = await t.settle(a!.router.buildCircuit([h1!.info, h2!.info, h3!.info]))
    expect(await t.settle(again.echo(Uint8Array.of(1, 2, 3)))).toEqual(Uint8Array.of(1, 2, 3))
  })

  it('a replayed inbound cell fails the running digest at the client', async () => {
    const t = network(4, 4)
    const [a, h1, h2, h3] = ['p0', 'p1', 'p2', 'p3'].map(id => t.peers.get(id)!)
    const circ = await t.settle(a!.router.buildCircuit([h1!.info, h2!.info, h3!.info]))
    let captured: Uint8Array | null = null
    const orig = a!.router.handleCell.bind(a!.router)
    a!.router.handleCell = (from, cell) => {
      if (captured == null && cell[4] === LinkCommand.RELAY) captured = cell.slice()
      orig(from, cell)
    }
    await t.settle(circ.echo(Uint8Array.of(9)))
    const closed = new Promise<Error>(resolve => circ.onClose(resolve))
    a!.router.handleCell('p1', captured!)
    const err = await t.settle(closed)
    expect(err).toBeInstanceOf(DigestMismatchError)
  })

  it('a hop leaving is seen by its neighbours, who send DESTROY; the client learns and can rebuild', async () => {
    const t = network(5, 6)
    const [a, h1, h2, h3, h4] = ['p0', 'p1', 'p2', 'p3', 'p4'].map(id => t.peers.get(id)!)
    const circ = await t.settle(a!.router.buildCircuit([h1!.info, h2!.info, h3!.info]))
    const closed = new Promise<Error>(resolve => circ.onClose(resolve))
    const before = t.net.time
    t.removePeer('p2')
    const err = await t.settle(closed)
    expect(err).toBeInstanceOf(CircuitClosedError)
    expect(t.net.time - before).toBeLessThan(1_000)
    const rebuilt = await t.settle(a!.router.buildCircuit([h1!.info, h4!.info, h3!.info]))
    expect(await t.settle(rebuilt.echo(Uint8Array.of(5)))).toEqual(Uint8Array.of(5))
  })

  it('refuses CREATE beyond the per-neighbour rate with DESTROY, not by buffering', async () => {
    const t = new TestNetwork(6)
    const a = t.addPeer('a')
    const r = t.addPeer('r', { createBurst: 3, createRatePerSecond: 0.001 })
    const results = await t.settle(Promise.allSettled(Array.from({ length: 6 }, async () => await a.router.buildCircuit([r.info]))))
    expect(results.filter(x => x.status === 'fulfilled').length).toBe(3)
    expect(results.filter(x => x.status === 'rejected').every(x => (x as PromiseRejectedResult).reason instanceof CircuitClosedError)).toBe(true)
  })

  it('garbage and random cell sequences never throw out of handleCell and never break working circuits', async () => {
    const t = network(7, 4)
    const [a, h1, h2, h3] = ['p0', 'p1', 'p2', 'p3'].map(id => t.peers.get(id)!)
    const circ = await t.settle(a!.router.buildCircuit([h1!.info, h2!.info, h3!.info]))
    const anyCell = fc.oneof(
      fc.uint8Array({ minLength: CELL_SIZE, maxLength: CELL_SIZE }), // right size, random content
      fc.uint8Array({ maxLength: CELL_SIZE + 8 }) // wrong sizes
    )
    fc.assert(fc.property(fc.array(anyCell, { maxLength: 20 }), (cells) => {
      for (const cell of cells) {
        // From a stranger and from a real neighbour (on circuit ids it does not use).
        h2!.router.handleCell('p9-not-a-neighbour', cell)
        h2!.router.handleCell('p1', cell)
      }
    }), { numRuns: 300 })
    expect(h2!.router.stats().protocolErrors).toBeGreaterThan(0)
    expect(await t.settle(circ.echo(Uint8Array.of(42)))).toEqual(Uint8Array.of(42))
  })
})
