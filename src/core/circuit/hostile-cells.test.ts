/**
 * What a malicious neighbour, relay or client can make a router do with
 * well-formed cells at the wrong time: each is refused, destroys only the
 * circuit it came on (tor-spec §5.4), and throws nothing out of handleCell.
 */
import { describe, expect, it } from 'vitest'
import { encodeCell, encodeRelayBody, LinkCommand, RELAY_DATA_MAX, RelayCommand, type RelayCell } from '../cell/index.ts'
import { originate, type RelayCircuit } from './relay-circuit.ts'
import { CircuitClosedError, type ClientCircuit, type OnionRouter } from './router.ts'
import { networkOf as network, runFor, threeHops, type TestPeer } from './test-network.ts'

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

describe('cells at the wrong time destroy only their circuit', () => {
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

describe('a malicious relay or client', () => {
  it('the client accepts stream DATA/END only from the hop the stream is attached to (tor: "relay cell from wrong hop")', async () => {
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

  it('a client that never acknowledges echoed data cannot make the last hop hold more than one circuit window', async () => {
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
