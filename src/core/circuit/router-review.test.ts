/**
 * Adversarial review of the onion router (router.ts): what a malicious
 * neighbour, relay or client can make it do. The first block pins behaviour
 * that holds; the second block pins problems found in review (each test names
 * the rule it checks; see the review notes for the proposed fix).
 */
import { describe, expect, it } from 'vitest'
import { encodeCell, encodeRelayBody, LinkCommand, RELAY_DATA_MAX, RelayCommand, type RelayCell } from '../cell/index.ts'
import { CircuitClosedError, CircuitLimitError, type ClientCircuit, type OnionRouter } from './router.ts'
import { originate, type RelayCircuit } from './relay-circuit.ts'
import { TestNetwork, type TestPeer } from './test-network.ts'

/** Private parts of the router the tests reach into to play a malicious relay or client. */
interface RelayCircuitView { readonly echoBacklog: unknown[], readonly prev: { peer: string, circId: number } }
interface RouterInternals {
  readonly relayCircuits: Set<RelayCircuitView>
}
const internals = (r: OnionRouter): RouterInternals => r as unknown as RouterInternals
const onlyRelayCircuit = (p: TestPeer): RelayCircuitView => {
  const all = [...internals(p.router).relayCircuits]
  expect(all.length).toBe(1)
  return all[0]!
}

function network (seed: number, n: number, limits?: Record<string, Partial<OnionRouter['limits']>>): TestNetwork {
  const t = new TestNetwork(seed)
  for (let i = 0; i < n; i++) t.addPeer(`p${i}`, limits?.[`p${i}`])
  return t
}

async function threeHops (t: TestNetwork): Promise<{ circ: ClientCircuit, a: TestPeer, h1: TestPeer, h2: TestPeer, h3: TestPeer }> {
  const [a, h1, h2, h3] = ['p0', 'p1', 'p2', 'p3'].map(id => t.peers.get(id)!) as [TestPeer, TestPeer, TestPeer, TestPeer]
  const circ = await t.settle(a.router.buildCircuit([h1.info, h2.info, h3.info]))
  return { circ, a, h1, h2, h3 }
}

/** Run the virtual network for `ms` virtual milliseconds, letting promise continuations run. */
async function runFor (t: TestNetwork, ms: number): Promise<void> {
  const end = t.net.time + ms
  await t.net.runUntil(() => t.net.time >= end, ms + 1)
}

describe('router review: attacks that are handled', () => {
  it('a CREATED from the previous hop (role confusion) destroys only that circuit, nothing throws', async () => {
    const t = network(101, 5)
    const { circ, a, h1 } = await threeHops(t)
    const closed = new Promise<Error>(resolve => circ.onClose(resolve))
    // The client (h1's previous hop) sends CREATED on its own circuit id.
    expect(() => { h1.router.handleCell('p0', encodeCell({ circId: circ.first.circId, msg: { command: LinkCommand.CREATED, hdata: new Uint8Array(64) } })) }).not.toThrow()
    expect(h1.router.stats().relayCircuits).toBe(0)
    expect(await t.settle(closed)).toBeInstanceOf(CircuitClosedError)
    expect(a.router.stats().clientCircuits).toBe(0)
  })

  it('a CREATED for a client circuit that is already open is a protocol violation, not a second hop 0', async () => {
    const t = network(102, 5)
    const { circ, a } = await threeHops(t)
    const closed = new Promise<Error>(resolve => circ.onClose(resolve))
    a.router.handleCell('p1', encodeCell({ circId: circ.first.circId, msg: { command: LinkCommand.CREATED, hdata: new Uint8Array(64) } }))
    await t.settle(closed)
    expect(circ.state).toBe('closed')
  })

  it('a relay refuses a SENDME it did not ask for (prop 289) and tears the circuit down everywhere', async () => {
    const t = network(103, 5)
    const { circ, h1, h2, h3 } = await threeHops(t)
    const closed = new Promise<Error>(resolve => circ.onClose(resolve))
    // A well-formed but unexpected SENDME to the last hop, through the real onion layers.
    const router = (circ as unknown as { router: { sendRelay(c: ClientCircuit, hop: number, cell: RelayCell): void } }).router
    router.sendRelay(circ, 2, { command: RelayCommand.SENDME, streamId: 0, data: Uint8Array.of(1, 0, 32, ...new Uint8Array(32)) })
    await t.settle(closed)
    await t.net.runUntil(() => [h1, h2, h3].every(h => h.router.stats().relayCircuits === 0), 10_000)
    expect([h1, h2, h3].map(h => h.router.stats().relayCircuits)).toEqual([0, 0, 0])
  })

  it('RELAY and DESTROY cells for unknown circuit ids are dropped without reply', async () => {
    const t = network(104, 3)
    const [a, r] = [t.peers.get('p0')!, t.peers.get('p1')!]
    await t.settle(a.router.buildCircuit([r.info]))
    t.net.recordWire = true
    const relay = encodeCell({ circId: 0x1234, msg: { command: LinkCommand.RELAY, body: encodeRelayBody({ command: RelayCommand.DROP, streamId: 0, data: new Uint8Array(0) }, () => new Uint8Array(RELAY_DATA_MAX)) } })
    r.router.handleCell('p0', relay)
    r.router.handleCell('p0', encodeCell({ circId: 0x1234, msg: { command: LinkCommand.DESTROY, reason: 1 } }))
    await runFor(t, 200)
    expect(t.net.wire.filter(w => w.from === 'p1')).toEqual([])
    expect(r.router.stats().relayCircuits).toBe(1)
  })
})

describe('router review: problems found (these fail until router.ts is fixed)', () => {
  it('REVIEW-1: the client accepts stream DATA/END only from the hop the stream is attached to (tor: "relay cell from wrong hop")', async () => {
    const t = network(111, 5)
    const { circ, h2 } = await threeHops(t)
    const got: string[] = []
    let ended: number | null = null
    const streamId = circ.openStream('echo', (d) => got.push(new TextDecoder().decode(d)), (reason) => { ended = reason })
    await runFor(t, 200)
    // The middle hop originates DATA and END on the client's stream to the last hop.
    const mid = onlyRelayCircuit(h2)
    originate(h2.router, mid as RelayCircuit, { command: RelayCommand.DATA, streamId, data: new TextEncoder().encode('SPOOFED') })
    originate(h2.router, mid as RelayCircuit, { command: RelayCommand.END, streamId, data: Uint8Array.of(6) })
    await runFor(t, 200)
    expect(got).not.toContain('SPOOFED')
    // Either fix is fine: drop the cells (the stream lives on) or destroy the circuit.
    if (circ.state === 'open') expect(ended).toBe(null)
  })

  it('REVIEW-2: a client does not send DESTROY back to the hop that destroyed its circuit (tor-spec §5.4)', async () => {
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

  it('REVIEW-3: the per-neighbour CREATE rate limit survives the neighbour closing and reopening its channel', async () => {
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

  it('REVIEW-4: maxClientCircuits holds for concurrent buildCircuit calls', async () => {
    const t = new TestNetwork(114)
    const a = t.addPeer('a', { maxClientCircuits: 2 })
    const r = t.addPeer('r')
    const results = await t.settle(Promise.allSettled(Array.from({ length: 5 }, async () => await a.router.buildCircuit([r.info]))))
    expect(results.filter(x => x.status === 'fulfilled').length).toBe(2)
    expect(results.filter(x => x.status === 'rejected').every(x => (x as PromiseRejectedResult).reason instanceof CircuitLimitError)).toBe(true)
    expect(a.router.stats().clientCircuits).toBeLessThanOrEqual(2)
  })

  it('REVIEW-5: a client that never acknowledges echoed data cannot make the last hop hold more than one circuit window', async () => {
    const t = network(115, 5)
    const { circ, a, h3 } = await threeHops(t)
    // Malicious client: it never sends SENDMEs for what it receives (and never enforces its deliver window).
    circ.flow.countDelivered = () => false
    const streamId = circ.openStream('echo', () => {}, () => {})
    const last = onlyRelayCircuit(h3)
    let maxBacklog = 0
    const orig = h3.router.handleCell.bind(h3.router)
    h3.router.handleCell = (from, cell) => { orig(from, cell); maxBacklog = Math.max(maxBacklog, last.echoBacklog.length) }
    void circ.write(streamId, new Uint8Array(RELAY_DATA_MAX * 2500)).catch(() => {})
    await runFor(t, 60_000)
    expect(maxBacklog).toBeLessThanOrEqual(a.router.limits.circuitWindow)
  })
})

describe('router: a hop that goes silent', () => {
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
