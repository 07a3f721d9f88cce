import { describe, expect, it } from 'vitest'
import { CELL_SIZE } from '../constants.ts'
import { decodeCell, DestroyReason, HandshakeType, LinkCommand } from '../cell/index.ts'
import { nobleDh, ONWARD_HDATA_LEN, type X25519Dh } from '../crypto/index.ts'
import { contains, TestNetwork, type TestPeer } from './test-network.ts'
import { CircuitClosedError, type LinkLayer, type RouterEvent } from './router.ts'

const MARKER = new TextEncoder().encode('PLAINTEXT-MARKER-onward')

/** A network of `n` peers with one fixed link latency, so virtual build times compare exactly. */
function network (seed: number, n: number, latencyMs = 10): { t: TestNetwork, p: TestPeer[] } {
  const t = new TestNetwork(seed, { minLatencyMs: latencyMs, maxLatencyMs: latencyMs })
  const p = Array.from({ length: n }, (_, i) => t.addPeer(`p${i}`))
  return { t, p }
}

/** Let `ms` of virtual time pass (cells in flight arrive, handshakes finish). */
async function pass (t: TestNetwork, ms: number): Promise<void> {
  await t.settle(new Promise<void>(resolve => { t.net.schedule(ms, resolve) }))
}

function creates (t: TestNetwork): Array<{ from: string, to: string, htype: number, hlen: number, cell: Uint8Array }> {
  return t.net.wire.flatMap((w) => {
    const c = decodeCell(w.cell)
    return c.msg.command === LinkCommand.CREATE ? [{ from: w.from, to: w.to, htype: c.msg.htype, hlen: c.msg.hdata.length, cell: w.cell }] : []
  })
}

/** The router's link layer, to let a test hop misbehave. */
function linksOf (peer: TestPeer): LinkLayer {
  return (peer.router as unknown as { opts: { links: LinkLayer } }).opts.links
}

function events (peer: TestPeer): RouterEvent[] {
  const seen: RouterEvent[] = []
  ;(peer.router as unknown as { opts: { onEvent?: (e: RouterEvent) => void } }).opts.onEvent = (e) => { seen.push(e) }
  return seen
}

describe('pipelined build with an onward header (docs/PROTOCOL.md §7 "Building with an onward header")', () => {
  it('builds a 3-hop circuit with one CREATE per hop, all the same size, and echoes; relays see only whole cells and no plaintext', async () => {
    const { t, p: [a, h1, h2, h3] } = network(41, 5)
    t.net.recordWire = true
    const progress: string[] = []
    const circ = await t.settle(a!.router.buildCircuit([h1!.info, h2!.info, h3!.info], q => progress.push(`${q.hop}:${q.state}`)))
    expect(progress).toEqual(['0:extending', '1:extending', '2:extending', '0:open', '1:open', '2:open'])
    const c = creates(t)
    expect(c.map(w => `${w.from}>${w.to}`)).toEqual(['p0>p1', 'p1>p2', 'p2>p3'])
    expect(c.every(w => w.htype === HandshakeType.NTOR_ONWARD && w.hlen === ONWARD_HDATA_LEN)).toBe(true)
    // No EXTEND was needed: the client sent nothing between its CREATE and the last EXTENDED.
    expect(t.net.wire.filter(w => w.from === 'p0')).toHaveLength(1)
    for (const h of [h1, h2, h3]) expect(h!.router.stats().relayCircuits).toBe(1)

    const message = new Uint8Array(3000)
    message.set(MARKER, 100)
    message.set(MARKER, 2500)
    expect(await t.settle(circ.echo(message))).toEqual(message)
    const h2Links = t.net.wire.filter(w => w.from === 'p2' || w.to === 'p2').map(w => (w.from === 'p2' ? w.to : w.from))
    expect(new Set(h2Links)).toEqual(new Set(['p1', 'p3']))
    for (const w of t.net.wire) {
      expect(w.cell.length).toBe(CELL_SIZE)
      expect(contains(w.cell, MARKER)).toBe(false)
    }
  })

  it('takes one path round trip where telescoping takes three growing ones', async () => {
    const { t, p: [a, h1, h2, h3] } = network(42, 4)
    const path = [h1!.info, h2!.info, h3!.info]
    ;(await t.settle(a!.router.buildCircuit(path, undefined, { telescope: true }))).destroy() // opens the links
    await pass(t, 100)
    const timed = async (telescope: boolean): Promise<number> => {
      const start = t.net.clock()
      const circ = await t.settle(a!.router.buildCircuit(path, undefined, { telescope }))
      const ms = t.net.clock() - start
      circ.destroy()
      return ms
    }
    const telescoped = await timed(true)
    const pipelined = await timed(false)
    // 12 link crossings against 6, at 10 ms each.
    expect(telescoped).toBeGreaterThanOrEqual(120)
    expect(pipelined).toBeGreaterThanOrEqual(60)
    expect(pipelined).toBeLessThan(80)
  })

  it('a replayed onward CREATE is refused (ReplayError, DESTROY) and the relay does not extend again', async () => {
    const { t, p: [a, h1, h2, h3] } = network(43, 4)
    t.net.recordWire = true
    const seen = events(h2!)
    const circ = await t.settle(a!.router.buildCircuit([h1!.info, h2!.info, h3!.info]))
    const toH2 = creates(t).find(w => w.to === 'p2')!
    const replay = toH2.cell.slice()
    replay.set([0, 0, 0x7a, 0x11]) // another circuit id on the same link
    h2!.router.handleCell('p1', replay)
    await pass(t, 100)
    expect(seen).toContainEqual({ type: 'protocol-error', kind: 'replayed' })
    expect(creates(t).filter(w => w.from === 'p2')).toHaveLength(1)
    const destroyBack = t.net.wire.map(w => ({ w, c: decodeCell(w.cell) })).find(x => x.w.from === 'p2' && x.c.circId === 0x7a11)
    expect(destroyBack?.c.msg).toEqual({ command: LinkCommand.DESTROY, reason: DestroyReason.PROTOCOL })
    // The real circuit is untouched.
    expect(await t.settle(circ.echo(new Uint8Array([4, 2])))).toEqual(new Uint8Array([4, 2]))
  })

  it('a first hop that tampers with the CREATE it sends on gets it refused by the next hop, and the client learns at once', async () => {
    const { t, p: [a, h1, h2, h3, h4] } = network(44, 5)
    const seen = events(h2!)
    const links = linksOf(h1!)
    const send = links.send.bind(links)
    links.send = (peer, cell) => {
      if (peer === 'p2' && cell[4] === LinkCommand.CREATE) cell[400] = (cell[400] as number) ^ 0x20
      send(peer, cell)
    }
    const start = t.net.clock()
    const failed: number[] = []
    const err = await t.settle(a!.router.buildCircuit([h1!.info, h2!.info, h3!.info], q => { if (q.state === 'failed') failed.push(q.hop) })).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(CircuitClosedError)
    expect(failed).toEqual([1]) // put down to hop 1, not the first hop that only held its CREATED
    expect(t.net.clock() - start).toBeLessThan(1000) // a DESTROY, not a timeout
    expect(seen).toContainEqual({ type: 'protocol-error', kind: 'bad-handshake' })
    expect(h3!.router.stats().relayCircuits).toBe(0)
    links.send = send
    // The tab goes on: another build works.
    const circ = await t.settle(a!.router.buildCircuit([h4!.info, h2!.info, h3!.info]))
    expect(await t.settle(circ.echo(new Uint8Array([7])))).toEqual(new Uint8Array([7]))
  })

  it('paths longer than an onward header carries telescope', async () => {
    const { t, p: [a, h1, h2, h3, h4] } = network(45, 5)
    t.net.recordWire = true
    const circ = await t.settle(a!.router.buildCircuit([h1!.info, h2!.info, h3!.info, h4!.info]))
    expect(creates(t).map(w => w.htype)).toEqual([HandshakeType.NTOR, HandshakeType.NTOR, HandshakeType.NTOR, HandshakeType.NTOR])
    expect(await t.settle(circ.echo(new Uint8Array([1])))).toEqual(new Uint8Array([1]))
  })

  it('a silent next hop: the first hop answers after ONWARD_HOLD_MS, and the build fails at hop 1 (not at the guard)', async () => {
    const { t, p: [a, h1, h2, h3] } = network(46, 4)
    ;(await t.settle(a!.router.buildCircuit([h1!.info, h2!.info, h3!.info]))).destroy() // open the links
    await pass(t, 100)
    h2!.router.handleCell = () => {} // a tab gone without its links closing yet
    const progress: string[] = []
    const err = await t.settle(a!.router.buildCircuit([h1!.info, h2!.info, h3!.info], q => progress.push(`${q.hop}:${q.state}`))).catch((e: unknown) => e)
    expect((err as Error).name).toBe('CircuitTimeoutError')
    expect(progress).toEqual(['0:extending', '1:extending', '2:extending', '0:open', '1:failed'])
  })

  it('a dead first hop is put down to hop 0', async () => {
    const { t, p: [a, h1, h2, h3] } = network(47, 4)
    ;(await t.settle(a!.router.buildCircuit([h1!.info, h2!.info, h3!.info]))).destroy()
    await pass(t, 100)
    h1!.router.handleCell = () => {}
    const failed: number[] = []
    await t.settle(a!.router.buildCircuit([h1!.info, h2!.info, h3!.info], q => { if (q.state === 'failed') failed.push(q.hop) })).catch(() => {})
    expect(failed).toEqual([0])
  })

  for (const bad of [0, 1, 2]) {
    it(`a wrong AUTH in hop ${bad}'s reply is put down to hop ${bad}, not to the replies held behind it`, async () => {
      const { t, p: [a, h1, h2, h3] } = network(48 + bad, 4)
      const hops = [h1!, h2!, h3!]
      // Hop `bad` answers with one AUTH byte flipped (its CREATED: cell command 2; AUTH ends the 64-byte reply at offset 7).
      const links = linksOf(hops[bad]!)
      const send = links.send.bind(links)
      links.send = (peer, cell) => {
        if (cell[4] === LinkCommand.CREATED) cell[7 + 63] = (cell[7 + 63] as number) ^ 1
        send(peer, cell)
      }
      const failed: number[] = []
      const err = await t.settle(a!.router.buildCircuit(hops.map(h => h.info), q => { if (q.state === 'failed') failed.push(q.hop) })).catch((e: unknown) => e)
      expect((err as Error).name).toBe('HandshakeError')
      expect(failed).toEqual([bad])
    })
  }

  it('the first hop\'s link closing while the onionskins are being made ends the build with a named error, not a hang', async () => {
    const t = new TestNetwork(52, { minLatencyMs: 10, maxLatencyMs: 10 })
    // X25519 that takes 50 virtual ms, so the link can close in between.
    const slow: X25519Dh = { ...nobleDh, shared: async (x, y) => { await new Promise<void>(resolve => { t.net.schedule(50, resolve) }); return await nobleDh.shared(x, y) } }
    const a = t.addPeer('p0', undefined, slow)
    const [h1, h2, h3] = ['p1', 'p2', 'p3'].map(id => t.addPeer(id))
    const build = a.router.buildCircuit([h1!.info, h2!.info, h3!.info])
    t.net.schedule(40, () => { t.removePeer('p1') }) // after the link is up (30 ms), before the onionskins (+50 ms)
    const err = await t.settle(build).catch((e: unknown) => e)
    expect((err as Error).name).toBe('CircuitClosedError')
    expect(a.router.stats().clientCircuits).toBe(0)
  })
})
