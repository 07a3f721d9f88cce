/**
 * The onion-service roles of a relay (relay-roles.ts,
 * docs/RENDEZVOUS.md §1, §5): introduction point, rendezvous point with joined
 * circuits, HSDir hooks, service commands only at the last hop, a service
 * looping back to itself (lastHopMayBeSelf), and the per-relay limits. All on
 * the in-memory network in virtual time; no real clock, no real network.
 * Over 400 lines: one describe per role, sharing the network helpers above them.
 */
import { describe, expect, it } from 'vitest'
import { RELAY_DATA_MAX, RelayCommand } from '../cell/index.ts'
import { toHex } from '../bytes.ts'
import { isProtocolError } from '../errors.ts'
import {
  decodeHsdirFound, decodeStatus, encodeEstablishIntro, encodeEstablishRendezvous, encodeHsdirFetch, encodeIntroduce1,
  encodeRendezvous1, INTRODUCE_CT_MIN
} from './cells.ts'
import { AUTH_ID_LEN, COOKIE_LEN, DESC_ID_LEN, RENDEZVOUS_REPLY_LEN, X25519_LEN } from './constants.ts'
import { HsDescriptorError } from './errors.ts'
import type { RouterLimits } from '../circuit/limits.ts'
import { CircuitClosedError, type ClientCircuit, type HsDirHooks, type OnionRouter, type RouterOptions } from '../circuit/router.ts'
import { TestNetwork, type TestPeer } from '../circuit/test-network.ts'

/**
 * The bulk tests encrypt thousands of cells at every hop in virtual time: 15–30 s of
 * CPU alone on a 2-core machine, more when it is shared. The timeout is there to
 * catch a deadlock, not to measure speed (the bench does that).
 */
const BULK_TEST_TIMEOUT_MS = 180_000

// ---- helpers -------------------------------------------------------------

/** Private parts of the router the tests look at (never change). */
interface RelayCircuitView { readonly echoBacklog: unknown[], readonly joined: unknown }
interface RouterInternals {
  readonly relayCircuits: Set<RelayCircuitView>
  readonly roles: {
    readonly introPoints: Map<string, RelayCircuitView>
    readonly rendezvous: Map<string, { circ: RelayCircuitView, at: number }>
  }
  readonly opts: RouterOptions
}
const internals = (r: OnionRouter): RouterInternals => r as unknown as RouterInternals
/** Make `circ`'s end stop acknowledging what it receives (no SENDMEs, no deliver-window check). */
const stopAcknowledging = (circ: ClientCircuit): void => { circ.flow.countDelivered = () => false }

type Limits = Partial<RouterLimits>

/** p0 … p(n-1); `limits` per peer id, `all` for every peer. */
function network (seed: number, n = 8, limits: Record<string, Limits> = {}, all: Limits = {}): TestNetwork {
  const t = new TestNetwork(seed)
  for (let i = 0; i < n; i++) t.addPeer(`p${i}`, { ...all, ...limits[`p${i}`] })
  return t
}

const peer = (t: TestNetwork, id: string): TestPeer => t.peers.get(id)!

async function build (t: TestNetwork, from: string, path: string[], opts: { lastHopMayBeSelf?: boolean } = {}): Promise<ClientCircuit> {
  return await t.settle(peer(t, from).router.buildCircuit(path.map(id => peer(t, id).info), undefined, opts))
}

/**
 * Run the virtual network for `ms` virtual ms, letting promise continuations
 * run. A no-op event at the end keeps the clock from jumping past it to the
 * next queued event (a sweep, seconds later).
 */
async function runFor (t: TestNetwork, ms: number): Promise<void> {
  const end = t.net.time + ms
  t.net.schedule(ms, () => {})
  await t.net.runUntil(() => t.net.time >= end, ms + 1)
}

async function runUntil (t: TestNetwork, done: () => boolean, limitMs = 60_000): Promise<void> {
  await t.net.runUntil(done, limitMs)
  if (!done()) throw new Error(`condition not reached within ${limitMs} virtual ms`)
}

const closedPromise = (c: ClientCircuit): Promise<Error> => new Promise<Error>(resolve => c.onClose(resolve))

/** Every control cell a circuit receives, in order. */
function controlLog (c: ClientCircuit): Array<{ command: RelayCommand, data: Uint8Array }> {
  const log: Array<{ command: RelayCommand, data: Uint8Array }> = []
  c.onControl((command, data) => { log.push({ command, data: data.slice() }) })
  return log
}

const bytes = (n: number, fill: number): Uint8Array => new Uint8Array(n).fill(fill)
const authIdOf = (n: number): Uint8Array => bytes(AUTH_ID_LEN, n)
const cookieOf = (n: number): Uint8Array => bytes(COOKIE_LEN, n)
const introduce1 = (authId: Uint8Array, fill = 0x5a): Uint8Array =>
  encodeIntroduce1({ authId, clientKey: bytes(X25519_LEN, fill), ct: new Uint8Array(INTRODUCE_CT_MIN).map((_, i) => (i * 7 + fill) & 0xff) })
const replyOf = (n: number): Uint8Array => new Uint8Array(RENDEZVOUS_REPLY_LEN).map((_, i) => (i + n) & 0xff)
const pattern = (n: number, seed: number): Uint8Array => new Uint8Array(n).map((_, i) => (i * 31 + seed) & 0xff)

function concat (chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((s, c) => s + c.length, 0))
  let o = 0
  for (const c of chunks) { out.set(c, o); o += c.length }
  return out
}

function totalProtocolErrors (t: TestNetwork): number {
  return [...t.peers.values()].reduce((s, p) => s + p.router.stats().protocolErrors, 0)
}

/** Track the largest echo/relay backlog of any relay circuit at `p`, after every cell it handles. */
function trackBacklog (p: TestPeer): { max: number } {
  const seen = { max: 0 }
  const orig = p.router.handleCell.bind(p.router)
  p.router.handleCell = (from, cell) => {
    orig(from, cell)
    for (const c of internals(p.router).relayCircuits) seen.max = Math.max(seen.max, c.echoBacklog.length)
  }
  return seen
}

/**
 * A joined pair at rendezvous point `rp`: the client (p1) establishes the
 * cookie on [p2, p4, rp], the service (p0) answers RENDEZVOUS1 on [p3, p5, rp].
 */
async function joinedPair (t: TestNetwork, rp = 'p6'): Promise<{ client: ClientCircuit, service: ClientCircuit, rendezvous2: Uint8Array }> {
  const client = await build(t, 'p1', ['p2', 'p4', rp])
  const service = await build(t, 'p0', ['p3', 'p5', rp])
  const cookie = cookieOf(0xc0)
  await t.settle(client.request(RelayCommand.ESTABLISH_RENDEZVOUS, encodeEstablishRendezvous(cookie), RelayCommand.RENDEZVOUS_ESTABLISHED))
  const got = new Promise<Uint8Array>(resolve => client.onControl((c, d) => { if (c === RelayCommand.RENDEZVOUS2) resolve(d.slice()) }))
  service.sendControl(RelayCommand.RENDEZVOUS1, encodeRendezvous1({ cookie, reply: replyOf(3) }))
  const rendezvous2 = await t.settle(got)
  return { client, service, rendezvous2 }
}

/** Attach stream 1 on both ends of a joined pair and collect what each receives. */
function attachBoth (client: ClientCircuit, service: ClientCircuit): { atClient: Uint8Array[], atService: Uint8Array[] } {
  const atClient: Uint8Array[] = []
  const atService: Uint8Array[] = []
  client.attachStream(1, d => atClient.push(d.slice()), () => {})
  service.attachStream(1, d => atService.push(d.slice()), () => {})
  return { atClient, atService }
}

const received = (chunks: Uint8Array[]): number => chunks.reduce((s, c) => s + c.length, 0)

// ---- 1. introduction point ----------------------------------------------

describe('introduction point', () => {
  it('ESTABLISH_INTRO → INTRO_ESTABLISHED; INTRODUCE1 → INTRODUCE2 with identical data and INTRODUCE_ACK 0', async () => {
    const t = network(201)
    const service = await build(t, 'p0', ['p2', 'p3', 'p7'])
    const authId = authIdOf(0xa1)
    const established = await t.settle(service.request(RelayCommand.ESTABLISH_INTRO, encodeEstablishIntro(authId), RelayCommand.INTRO_ESTABLISHED))
    expect(established.length).toBe(0)
    expect([...internals(peer(t, 'p7').router).roles.introPoints.keys()]).toEqual([toHex(authId)])
    const atService = controlLog(service)

    const client = await build(t, 'p1', ['p4', 'p5', 'p7'])
    const body = introduce1(authId)
    const ack = await t.settle(client.request(RelayCommand.INTRODUCE1, body, RelayCommand.INTRODUCE_ACK))
    expect(decodeStatus(ack)).toBe(0)
    await runUntil(t, () => atService.length > 0)
    expect(atService.map(c => c.command)).toEqual([RelayCommand.INTRODUCE2])
    expect(atService[0]!.data).toEqual(body)

    // One INTRODUCE1 per circuit: a second one destroys the client circuit, the service's stays.
    const closed = closedPromise(client)
    client.sendControl(RelayCommand.INTRODUCE1, introduce1(authId, 0x11))
    expect(await t.settle(closed)).toBeInstanceOf(CircuitClosedError)
    await runFor(t, 500)
    expect(atService.length).toBe(1)
    expect(service.state).toBe('open')
  })

  it('an introduction point passes on at most introduceBurst INTRODUCE2s at once, then refuses', async () => {
    const t = network(209, 8, { p7: { introduceRatePerSecond: 0.001, introduceBurst: 2 } })
    const service = await build(t, 'p0', ['p2', 'p3', 'p7'])
    const authId = authIdOf(0xa2)
    await t.settle(service.request(RelayCommand.ESTABLISH_INTRO, encodeEstablishIntro(authId), RelayCommand.INTRO_ESTABLISHED))
    const atService = controlLog(service)
    const statuses: number[] = []
    for (let i = 0; i < 3; i++) {
      const client = await build(t, 'p1', ['p4', 'p5', 'p7'])
      statuses.push(decodeStatus(await t.settle(client.request(RelayCommand.INTRODUCE1, introduce1(authId, i), RelayCommand.INTRODUCE_ACK))))
    }
    expect(statuses).toEqual([0, 0, 1])
    await runFor(t, 200)
    expect(atService.length).toBe(2)
    expect(service.state).toBe('open')
  })

  it('INTRODUCE1 for an unknown authId is answered with status 1 and the circuit stays open', async () => {
    const t = network(202)
    const service = await build(t, 'p0', ['p2', 'p3', 'p7'])
    await t.settle(service.request(RelayCommand.ESTABLISH_INTRO, encodeEstablishIntro(authIdOf(1)), RelayCommand.INTRO_ESTABLISHED))
    const atService = controlLog(service)
    const client = await build(t, 'p1', ['p4', 'p5', 'p7'])
    const ack = await t.settle(client.request(RelayCommand.INTRODUCE1, introduce1(authIdOf(2)), RelayCommand.INTRODUCE_ACK))
    expect(decodeStatus(ack)).toBe(1)
    await runFor(t, 500)
    expect(atService).toEqual([])
    expect(client.state).toBe('open')
  })

  it('a second ESTABLISH_INTRO for a used authId destroys that circuit; the first registration still works', async () => {
    const t = network(203)
    const ip = peer(t, 'p7')
    const first = await build(t, 'p0', ['p2', 'p3', 'p7'])
    const authId = authIdOf(0x33)
    await t.settle(first.request(RelayCommand.ESTABLISH_INTRO, encodeEstablishIntro(authId), RelayCommand.INTRO_ESTABLISHED))
    const atFirst = controlLog(first)

    const intruder = await build(t, 'p1', ['p4', 'p5', 'p7'])
    controlLog(intruder)
    const closed = closedPromise(intruder)
    intruder.sendControl(RelayCommand.ESTABLISH_INTRO, encodeEstablishIntro(authId))
    expect(await t.settle(closed)).toBeInstanceOf(CircuitClosedError)
    await runUntil(t, () => ip.router.stats().relayCircuits === 1)
    expect(internals(ip.router).roles.introPoints.size).toBe(1)

    const client = await build(t, 'p1', ['p5', 'p4', 'p7'])
    expect(decodeStatus(await t.settle(client.request(RelayCommand.INTRODUCE1, introduce1(authId), RelayCommand.INTRODUCE_ACK)))).toBe(0)
    await runUntil(t, () => atFirst.length > 0)
    expect(atFirst[0]!.command).toBe(RelayCommand.INTRODUCE2)
    expect(first.state).toBe('open')
  })

  it('a second ESTABLISH_INTRO (other id) or an ESTABLISH_RENDEZVOUS on an intro circuit destroys it and frees its registration', async () => {
    const t = network(204)
    const ip = peer(t, 'p7')
    const a = await build(t, 'p0', ['p2', 'p3', 'p7'])
    await t.settle(a.request(RelayCommand.ESTABLISH_INTRO, encodeEstablishIntro(authIdOf(1)), RelayCommand.INTRO_ESTABLISHED))
    const closedA = closedPromise(a)
    a.sendControl(RelayCommand.ESTABLISH_INTRO, encodeEstablishIntro(authIdOf(2)))
    await t.settle(closedA)

    const b = await build(t, 'p0', ['p2', 'p3', 'p7'])
    await t.settle(b.request(RelayCommand.ESTABLISH_INTRO, encodeEstablishIntro(authIdOf(3)), RelayCommand.INTRO_ESTABLISHED))
    const closedB = closedPromise(b)
    b.sendControl(RelayCommand.ESTABLISH_RENDEZVOUS, encodeEstablishRendezvous(cookieOf(3)))
    await t.settle(closedB)
    await runUntil(t, () => ip.router.stats().relayCircuits === 0)
    expect(internals(ip.router).roles.introPoints.size).toBe(0)
    expect(internals(ip.router).roles.rendezvous.size).toBe(0)

    // The freed id can be registered again, and INTRODUCE1 on a service circuit is refused.
    const c = await build(t, 'p0', ['p2', 'p3', 'p7'])
    await t.settle(c.request(RelayCommand.ESTABLISH_INTRO, encodeEstablishIntro(authIdOf(1)), RelayCommand.INTRO_ESTABLISHED))
    controlLog(c)
    const closedC = closedPromise(c)
    c.sendControl(RelayCommand.INTRODUCE1, introduce1(authIdOf(1)))
    await t.settle(closedC)
  })

  it('when the service circuit closes, its authId is forgotten: INTRODUCE1 → status 1', async () => {
    const t = network(205)
    const ip = peer(t, 'p7')
    const service = await build(t, 'p0', ['p2', 'p3', 'p7'])
    await t.settle(service.request(RelayCommand.ESTABLISH_INTRO, encodeEstablishIntro(authIdOf(9)), RelayCommand.INTRO_ESTABLISHED))
    service.destroy()
    await runUntil(t, () => ip.router.stats().relayCircuits === 0)
    expect(internals(ip.router).roles.introPoints.size).toBe(0)
    const client = await build(t, 'p1', ['p4', 'p5', 'p7'])
    expect(decodeStatus(await t.settle(client.request(RelayCommand.INTRODUCE1, introduce1(authIdOf(9)), RelayCommand.INTRODUCE_ACK)))).toBe(1)
  })

  it('malformed bodies (wrong length) destroy the circuit, nothing throws', async () => {
    const t = network(206)
    const ip = peer(t, 'p7')
    internals(ip.router).opts.hsdir = new FakeHsDir() // HSDIR_FETCH without hooks: see 'malformed fetches' below
    for (const [command, data] of [
      [RelayCommand.ESTABLISH_INTRO, bytes(AUTH_ID_LEN - 1, 1)],
      [RelayCommand.INTRODUCE1, bytes(AUTH_ID_LEN + X25519_LEN, 1)],
      [RelayCommand.ESTABLISH_RENDEZVOUS, bytes(COOKIE_LEN + 1, 1)],
      [RelayCommand.RENDEZVOUS1, bytes(COOKIE_LEN, 1)],
      [RelayCommand.HSDIR_FETCH, bytes(DESC_ID_LEN + 1, 1)]
    ] as const) {
      const c = await build(t, 'p0', ['p2', 'p3', 'p7'])
      controlLog(c)
      const closed = closedPromise(c)
      c.sendControl(command, data)
      await t.settle(closed)
    }
    await runUntil(t, () => ip.router.stats().relayCircuits === 0)
    expect(ip.router.stats().protocolErrors).toBe(5)
  })
})

// ---- 2. rendezvous point --------------------------------------------------

describe('rendezvous point', () => {
  it('ESTABLISH_RENDEZVOUS → RENDEZVOUS_ESTABLISHED; RENDEZVOUS1 → RENDEZVOUS2 with the reply; the circuits are joined', async () => {
    const t = network(211)
    const rp = peer(t, 'p6')
    const { client, service, rendezvous2 } = await joinedPair(t)
    expect(rendezvous2).toEqual(replyOf(3))
    const circs = [...internals(rp.router).relayCircuits]
    expect(circs.length).toBe(2)
    expect(circs[0]!.joined).toBe(circs[1])
    expect(circs[1]!.joined).toBe(circs[0])
    expect(internals(rp.router).roles.rendezvous.size).toBe(0)
    expect([client.state, service.state]).toEqual(['open', 'open'])
  })

  it('stream 1 carries data both ways across the join, intact', async () => {
    const t = network(212)
    const rp = peer(t, 'p6')
    const { client, service } = await joinedPair(t)
    const { atClient, atService } = attachBoth(client, service)
    const before = rp.router.stats().cellsRelayed
    const c2s = pattern(RELAY_DATA_MAX * 3 + 17, 1)
    const s2c = pattern(RELAY_DATA_MAX * 2 + 5, 2)
    const w1 = client.write(1, c2s)
    const w2 = service.write(1, s2c)
    await t.settle(Promise.all([w1, w2]))
    await runUntil(t, () => received(atService) >= c2s.length && received(atClient) >= s2c.length)
    expect(concat(atService)).toEqual(c2s)
    expect(concat(atClient)).toEqual(s2c)
    expect(rp.router.stats().cellsRelayed - before).toBe(4 + 3)
    expect(totalProtocolErrors(t)).toBe(0)
  })

  it('a bulk of 3,000 cells one way completes under flow control: no deadlock, no protocol error, backlog ≤ one window', async () => {
    const t = network(213)
    const rp = peer(t, 'p6')
    const { client, service } = await joinedPair(t)
    const { atClient, atService } = attachBoth(client, service)
    const backlog = trackBacklog(rp)
    const before = rp.router.stats().cellsRelayed
    const big = pattern(RELAY_DATA_MAX * 3000, 5)
    await t.settle(client.write(1, big), 600_000)
    await runUntil(t, () => received(atService) >= big.length, 600_000)
    expect(concat(atService)).toEqual(big)
    expect(rp.router.stats().cellsRelayed - before).toBe(3000)
    expect(backlog.max).toBeLessThanOrEqual(rp.router.limits.circuitWindow)
    expect(totalProtocolErrors(t)).toBe(0)
    // The way back still works after the bulk.
    await t.settle(service.write(1, pattern(100, 9)))
    await runUntil(t, () => received(atClient) >= 100)
    expect(concat(atClient)).toEqual(pattern(100, 9))
    expect([client.state, service.state]).toEqual(['open', 'open'])
  }, BULK_TEST_TIMEOUT_MS)

  it('bulk both ways at once (2,500 cells each) completes', async () => {
    const t = network(214)
    const rp = peer(t, 'p6')
    const { client, service } = await joinedPair(t)
    const { atClient, atService } = attachBoth(client, service)
    const backlog = trackBacklog(rp)
    const c2s = pattern(RELAY_DATA_MAX * 2500, 3)
    const s2c = pattern(RELAY_DATA_MAX * 2500, 4)
    await t.settle(Promise.all([client.write(1, c2s), service.write(1, s2c)]), 600_000)
    await runUntil(t, () => received(atService) >= c2s.length && received(atClient) >= s2c.length, 600_000)
    expect(concat(atService)).toEqual(c2s)
    expect(concat(atClient)).toEqual(s2c)
    expect(backlog.max).toBeLessThanOrEqual(rp.router.limits.circuitWindow)
    expect(totalProtocolErrors(t)).toBe(0)
  }, BULK_TEST_TIMEOUT_MS)

  it('a receiver that never sends SENDMEs stalls the sender; the RP holds at most one window and punishes no one', async () => {
    const t = network(215)
    const rp = peer(t, 'p6')
    const { client, service } = await joinedPair(t)
    const { atService } = attachBoth(client, service)
    // The service side stops acknowledging what it receives.
    stopAcknowledging(service)
    const backlog = trackBacklog(rp)
    void client.write(1, new Uint8Array(RELAY_DATA_MAX * 2500)).catch(() => {})
    await runFor(t, 60_000)
    const w = rp.router.limits.circuitWindow
    expect(received(atService)).toBe(RELAY_DATA_MAX * w) // one window reached the service, then it stopped acking
    expect(backlog.max).toBe(w) // one more window waits at the RP, and no more
    expect(client.flow.package).toBe(0) // the client's SENDMEs are held back
    expect([client.state, service.state]).toEqual(['open', 'open'])
    expect(totalProtocolErrors(t)).toBe(0)
  })

  it('DATA on stream 0 across a join is a protocol violation: both circuits die', async () => {
    const t = network(216)
    const rp = peer(t, 'p6')
    const { client, service } = await joinedPair(t)
    const closed = Promise.all([closedPromise(client), closedPromise(service)])
    const router = (client as unknown as { router: OnionRouter }).router
    router.sendRelay(client, 2, { command: RelayCommand.DATA, streamId: 0, data: bytes(10, 1) })
    await t.settle(closed)
    await runUntil(t, () => rp.router.stats().relayCircuits === 0)
  })

  it('RENDEZVOUS1 for an unknown cookie destroys that circuit; the waiting client is untouched', async () => {
    const t = network(217)
    const rp = peer(t, 'p6')
    const client = await build(t, 'p1', ['p2', 'p4', 'p6'])
    await t.settle(client.request(RelayCommand.ESTABLISH_RENDEZVOUS, encodeEstablishRendezvous(cookieOf(1)), RelayCommand.RENDEZVOUS_ESTABLISHED))
    controlLog(client)
    const service = await build(t, 'p0', ['p3', 'p5', 'p6'])
    const closed = closedPromise(service)
    service.sendControl(RelayCommand.RENDEZVOUS1, encodeRendezvous1({ cookie: cookieOf(2), reply: replyOf(0) }))
    expect(await t.settle(closed)).toBeInstanceOf(CircuitClosedError)
    await runUntil(t, () => rp.router.stats().relayCircuits === 1)
    expect(client.state).toBe('open')
    expect([...internals(rp.router).roles.rendezvous.keys()]).toEqual([toHex(cookieOf(1))])
  })

  it('cookie reuse is refused: a second ESTABLISH_RENDEZVOUS for a pending cookie, a second RENDEZVOUS1 after the join', async () => {
    const t = network(218)
    const rp = peer(t, 'p6')
    const { client, service } = await joinedPair(t)
    const cookie = cookieOf(0xc0)

    // Joined: the cookie is gone, a second RENDEZVOUS1 with it is refused.
    const late = await build(t, 'p0', ['p4', 'p3', 'p6'])
    const lateClosed = closedPromise(late)
    late.sendControl(RelayCommand.RENDEZVOUS1, encodeRendezvous1({ cookie, reply: replyOf(1) }))
    await t.settle(lateClosed)

    // A pending cookie cannot be claimed by a second circuit.
    const waiting = await build(t, 'p1', ['p2', 'p5', 'p6'])
    await t.settle(waiting.request(RelayCommand.ESTABLISH_RENDEZVOUS, encodeEstablishRendezvous(cookieOf(7)), RelayCommand.RENDEZVOUS_ESTABLISHED))
    controlLog(waiting)
    const thief = await build(t, 'p0', ['p5', 'p2', 'p6'])
    const thiefClosed = closedPromise(thief)
    thief.sendControl(RelayCommand.ESTABLISH_RENDEZVOUS, encodeEstablishRendezvous(cookieOf(7)))
    await t.settle(thiefClosed)
    // A joined circuit cannot take a new cookie either.
    const bothClosed = Promise.all([closedPromise(client), closedPromise(service)]) // the partner dies with it
    client.sendControl(RelayCommand.ESTABLISH_RENDEZVOUS, encodeEstablishRendezvous(cookieOf(8)))
    await t.settle(bothClosed)
    await runUntil(t, () => rp.router.stats().relayCircuits === 1)
    expect(waiting.state).toBe('open')
    expect([...internals(rp.router).roles.rendezvous.keys()]).toEqual([toHex(cookieOf(7))])
  })

  it('an expired cookie is refused, then swept with its circuit', async () => {
    const rendezvousTimeoutMs = 10_000
    const t = network(219, 8, { p6: { rendezvousTimeoutMs } })
    const rp = peer(t, 'p6')
    const service = await build(t, 'p0', ['p3', 'p5', 'p6'])
    const client = await build(t, 'p1', ['p2', 'p4', 'p6'])
    await t.settle(client.request(RelayCommand.ESTABLISH_RENDEZVOUS, encodeEstablishRendezvous(cookieOf(4)), RelayCommand.RENDEZVOUS_ESTABLISHED))
    controlLog(client)
    const at = internals(rp.router).roles.rendezvous.get(toHex(cookieOf(4)))!.at
    // Past the timeout, but before the next sweep (every timeout/2) removed it: the freshness check must refuse it.
    await runFor(t, at + rendezvousTimeoutMs + 200 - t.net.time)
    expect(internals(rp.router).roles.rendezvous.size).toBe(1)
    const closed = closedPromise(service)
    service.sendControl(RelayCommand.RENDEZVOUS1, encodeRendezvous1({ cookie: cookieOf(4), reply: replyOf(0) }))
    await t.settle(closed)
    expect(client.state).toBe('open')
    // The sweep then closes the waiting circuit (TIMEOUT).
    const clientErr = await t.settle(closedPromise(client), 20_000)
    expect(clientErr).toBeInstanceOf(CircuitClosedError)
    expect(internals(rp.router).roles.rendezvous.size).toBe(0)
    await runUntil(t, () => rp.router.stats().relayCircuits === 0)
  })
})

// ---- 3. joined circuits die together -------------------------------------

describe('joined circuits live and die together', () => {
  it('client.destroy() closes the service end too; the RP holds no circuits', async () => {
    const t = network(221)
    const rp = peer(t, 'p6')
    const { client, service } = await joinedPair(t)
    const closed = Promise.all([closedPromise(client), closedPromise(service)])
    client.destroy()
    const [errC, errS] = await t.settle(closed)
    expect(errC).toBeInstanceOf(CircuitClosedError)
    expect(errS).toBeInstanceOf(CircuitClosedError)
    expect([client.state, service.state]).toEqual(['closed', 'closed'])
    await runUntil(t, () => [...t.peers.values()].every(p => p.router.stats().relayCircuits === 0))
    expect(rp.router.stats().relayCircuits).toBe(0)
    expect(peer(t, 'p0').router.stats().clientCircuits).toBe(0)
    expect(peer(t, 'p1').router.stats().clientCircuits).toBe(0)
  })

  it('service.destroy() closes the client end too', async () => {
    const t = network(222)
    const { client, service } = await joinedPair(t)
    const closed = closedPromise(client)
    service.destroy()
    await t.settle(closed)
    await runUntil(t, () => [...t.peers.values()].every(p => p.router.stats().relayCircuits === 0))
  })

  it('a middle relay of one side leaving closes both ends', async () => {
    const t = network(223)
    const rp = peer(t, 'p6')
    const { client, service } = await joinedPair(t)
    const closed = Promise.all([closedPromise(client), closedPromise(service)])
    t.removePeer('p5') // on the service's path
    await t.settle(closed)
    await runUntil(t, () => rp.router.stats().relayCircuits === 0)
  })
})

// ---- 4. HSDir -------------------------------------------------------------

/** A fake HSDir store: a descriptor is `0x42 | descId[32] | anything`; anything else is refused with a ProtocolError. */
class FakeHsDir implements HsDirHooks {
  readonly held = new Map<string, Uint8Array[]>()
  full = false
  store (descriptor: Uint8Array): boolean {
    if (descriptor.length < 1 + DESC_ID_LEN || descriptor[0] !== 0x42) throw new HsDescriptorError('not a descriptor')
    if (this.full) return false
    const id = toHex(descriptor.subarray(1, 1 + DESC_ID_LEN))
    this.held.set(id, [descriptor.slice(), ...(this.held.get(id) ?? [])])
    return true
  }

  fetch (descId: Uint8Array): Uint8Array[] { return this.held.get(toHex(descId)) ?? [] }
}

const descriptor = (id: number, n: number): Uint8Array => Uint8Array.of(0x42, ...bytes(DESC_ID_LEN, id), ...pattern(300 + n, n))

/** HSDIR_FETCH and collect every HSDIR_FOUND up to the one with more = 0. */
async function fetchAll (t: TestNetwork, c: ClientCircuit, descId: Uint8Array): Promise<Array<{ more: boolean, descriptor: Uint8Array | null }>> {
  const found: Array<{ more: boolean, descriptor: Uint8Array | null }> = []
  const off = c.onControl((command, data) => { if (command === RelayCommand.HSDIR_FOUND) found.push(decodeHsdirFound(data)) })
  c.sendControl(RelayCommand.HSDIR_FETCH, encodeHsdirFetch(descId))
  await runUntil(t, () => found.some(f => !f.more) || c.state === 'closed')
  off()
  return found
}

describe('HSDir', () => {
  it('HSDIR_STORE → HSDIR_STORED 0 / 1 (a bad descriptor or a full store is refused, the circuit stays)', async () => {
    const t = network(231)
    const dir = peer(t, 'p7')
    const hsdir = new FakeHsDir()
    internals(dir.router).opts.hsdir = hsdir
    // One HSDir request per circuit: a fresh circuit for each store, as hsdir.ts does.
    const store = async (d: Uint8Array): Promise<{ status: number, c: ClientCircuit }> => {
      const c = await build(t, 'p0', ['p2', 'p3', 'p7'])
      return { status: decodeStatus(await t.settle(c.request(RelayCommand.HSDIR_STORE, d, RelayCommand.HSDIR_STORED))), c }
    }
    expect((await store(descriptor(1, 1))).status).toBe(0)
    const bad = await store(Uint8Array.of(0x00, 1, 2, 3))
    expect(bad.status).toBe(1) // bad bytes: the store throws a ProtocolError
    expect(dir.router.stats().protocolErrors).toBe(1)
    expect(bad.c.state).toBe('open')
    hsdir.full = true
    expect((await store(descriptor(1, 2))).status).toBe(1) // the store says no
    hsdir.full = false
    expect((await store(descriptor(1, 3))).status).toBe(0)
    expect(hsdir.held.get(toHex(bytes(DESC_ID_LEN, 1)))?.length).toBe(2)
  })

  it('HSDIR_FETCH → one HSDIR_FOUND per descriptor, newest first (more = 1 … more = 0); none → one cell, more = 0, no descriptor', async () => {
    const t = network(232)
    const dir = peer(t, 'p7')
    const hsdir = new FakeHsDir()
    internals(dir.router).opts.hsdir = hsdir
    const d = [descriptor(5, 1), descriptor(5, 2), descriptor(5, 3)]
    for (const x of d) hsdir.store(x)
    const c = await build(t, 'p1', ['p4', 'p5', 'p7'])
    const found = await fetchAll(t, c, bytes(DESC_ID_LEN, 5))
    expect(found.map(f => f.more)).toEqual([true, true, false])
    expect(found.map(f => f.descriptor)).toEqual([d[2], d[1], d[0]])

    const c2 = await build(t, 'p1', ['p4', 'p5', 'p7'])
    const none = await fetchAll(t, c2, bytes(DESC_ID_LEN, 6))
    expect(none).toEqual([{ more: false, descriptor: null }])
    await runFor(t, 500)
    expect(c2.state).toBe('open')
  })

  it('without hooks: HSDIR_STORE is refused, HSDIR_FETCH finds nothing', async () => {
    const t = network(233)
    const c = await build(t, 'p1', ['p4', 'p5', 'p7'])
    expect(decodeStatus(await t.settle(c.request(RelayCommand.HSDIR_STORE, descriptor(1, 1), RelayCommand.HSDIR_STORED)))).toBe(1)
    expect(c.state).toBe('open')
    const c2 = await build(t, 'p1', ['p4', 'p5', 'p7'])
    expect(await fetchAll(t, c2, bytes(DESC_ID_LEN, 1))).toEqual([{ more: false, descriptor: null }])
  })

  it('HSDir flush: one HSDir request per circuit (a second store on it destroys the circuit, nothing more is stored)', async () => {
    // The attack: one circuit stored ~1,000 descriptors and evicted everything the HSDir held.
    const t = network(235)
    const dir = peer(t, 'p7')
    const hsdir = new FakeHsDir()
    internals(dir.router).opts.hsdir = hsdir
    const c = await build(t, 'p1', ['p4', 'p5', 'p7'])
    expect(decodeStatus(await t.settle(c.request(RelayCommand.HSDIR_STORE, descriptor(1, 1), RelayCommand.HSDIR_STORED)))).toBe(0)
    const closed = closedPromise(c)
    c.sendControl(RelayCommand.HSDIR_STORE, descriptor(2, 1))
    expect(await t.settle(closed)).toBeInstanceOf(CircuitClosedError)
    expect(hsdir.held.size).toBe(1)
    expect(dir.router.stats().protocolErrors).toBe(1)
  })

  it('HSDir flush: stores from one neighbour beyond its rate are refused, while another neighbour\'s store still goes in', async () => {
    const t = network(236, 8, { p7: { hsdirStoreRatePerSecond: 0.001, hsdirStoreBurst: 3 } })
    const dir = peer(t, 'p7')
    const hsdir = new FakeHsDir()
    internals(dir.router).opts.hsdir = hsdir
    const storeVia = async (middle: string, n: number): Promise<number> => {
      const c = await build(t, 'p0', ['p1', middle, 'p7'])
      return decodeStatus(await t.settle(c.request(RelayCommand.HSDIR_STORE, descriptor(n, 1), RelayCommand.HSDIR_STORED)))
    }
    const flood: number[] = []
    for (let i = 0; i < 6; i++) flood.push(await storeVia('p5', 10 + i))
    expect(flood).toEqual([0, 0, 0, 1, 1, 1])
    expect(await storeVia('p6', 30)).toBe(0) // through another neighbour of the HSDir
    expect(hsdir.held.size).toBe(4)
  })

  it('a store that throws something other than a ProtocolError destroys the circuit only', async () => {
    const t = network(234)
    const dir = peer(t, 'p7')
    internals(dir.router).opts.hsdir = { store: () => { throw new TypeError('bug in the store') }, fetch: () => [] }
    const c = await build(t, 'p1', ['p4', 'p5', 'p7'])
    controlLog(c)
    const closed = closedPromise(c)
    c.sendControl(RelayCommand.HSDIR_STORE, descriptor(1, 1))
    await t.settle(closed)
    await runUntil(t, () => dir.router.stats().relayCircuits === 0)
    // The relay goes on.
    const again = await build(t, 'p1', ['p4', 'p5', 'p7'])
    expect(await fetchAll(t, again, bytes(DESC_ID_LEN, 1))).toEqual([{ more: false, descriptor: null }])
  })
})

// ---- 5. only at the last hop ----------------------------------------------

describe('service commands only at the last hop', () => {
  it('ESTABLISH_INTRO at the last hop of a 2-hop circuit works; at a middle hop it is a protocol violation', async () => {
    const t = network(241)
    const [r1, r2, r3] = [peer(t, 'p1'), peer(t, 'p2'), peer(t, 'p3')]
    const two = await build(t, 'p0', ['p1', 'p2'])
    await t.settle(two.request(RelayCommand.ESTABLISH_INTRO, encodeEstablishIntro(authIdOf(1)), RelayCommand.INTRO_ESTABLISHED))
    expect(internals(r2.router).roles.introPoints.size).toBe(1)

    const three = await build(t, 'p0', ['p1', 'p2', 'p3'])
    const closed = closedPromise(three)
    const router = (three as unknown as { router: OnionRouter }).router
    router.sendRelay(three, 1, { command: RelayCommand.ESTABLISH_INTRO, streamId: 0, data: encodeEstablishIntro(authIdOf(2)) })
    expect(await t.settle(closed)).toBeInstanceOf(CircuitClosedError)
    await runUntil(t, () => r3.router.stats().relayCircuits === 0 && r2.router.stats().relayCircuits === 1 && r1.router.stats().relayCircuits === 1)
    expect([...internals(r2.router).roles.introPoints.keys()]).toEqual([toHex(authIdOf(1))])
    expect(r2.router.stats().protocolErrors).toBe(1)
    // The routers are fine: the 2-hop circuit still works, and a new circuit can use r2 as its last hop.
    expect(two.state).toBe('open')
    const again = await build(t, 'p4', ['p3', 'p2'])
    await t.settle(again.request(RelayCommand.ESTABLISH_RENDEZVOUS, encodeEstablishRendezvous(cookieOf(1)), RelayCommand.RENDEZVOUS_ESTABLISHED))
  })

  it('a service command on a stream (stream id ≠ 0) is a protocol violation', async () => {
    const t = network(242)
    const c = await build(t, 'p0', ['p1', 'p2', 'p3'])
    const closed = closedPromise(c)
    const router = (c as unknown as { router: OnionRouter }).router
    router.sendRelay(c, 2, { command: RelayCommand.ESTABLISH_RENDEZVOUS, streamId: 1, data: encodeEstablishRendezvous(cookieOf(1)) })
    await t.settle(closed)
    expect(internals(peer(t, 'p3').router).roles.rendezvous.size).toBe(0)
  })

  it('a client receiving a control reply with no listener treats it as a protocol violation', async () => {
    const t = network(243)
    const c = await build(t, 'p0', ['p1', 'p2', 'p3'])
    const closed = closedPromise(c)
    c.sendControl(RelayCommand.ESTABLISH_RENDEZVOUS, encodeEstablishRendezvous(cookieOf(1)))
    const err = await t.settle(closed)
    expect(isProtocolError(err)).toBe(true)
  })

  it('sendControl refuses non-control commands and closed circuits', async () => {
    const t = network(244)
    const c = await build(t, 'p0', ['p1', 'p2', 'p3'])
    expect(() => { c.sendControl(RelayCommand.DATA, new Uint8Array(0)) }).toThrow(RangeError)
    expect(() => { c.sendControl(RelayCommand.INTRODUCE2, new Uint8Array(0)) }).toThrow(RangeError)
    c.destroy()
    expect(() => { c.sendControl(RelayCommand.ESTABLISH_RENDEZVOUS, encodeEstablishRendezvous(cookieOf(1))) }).toThrow(CircuitClosedError)
    await expect(c.request(RelayCommand.ESTABLISH_RENDEZVOUS, encodeEstablishRendezvous(cookieOf(1)), RelayCommand.RENDEZVOUS_ESTABLISHED)).rejects.toBeInstanceOf(CircuitClosedError)
  })

  it('request() times out after controlTimeoutMs when no answer comes', async () => {
    const t = network(245, 8, {}, { controlTimeoutMs: 2_000 })
    const c = await build(t, 'p0', ['p1', 'p2', 'p3'])
    // Keep the (now unsolicited) answer from killing the circuit.
    controlLog(c)
    // INTRO_ESTABLISHED will come, but we wait for RENDEZVOUS2, which will not.
    await expect(t.settle(c.request(RelayCommand.ESTABLISH_INTRO, encodeEstablishIntro(authIdOf(1)), RelayCommand.RENDEZVOUS2))).rejects.toThrow(/no answer/)
    expect(c.state).toBe('open')
  })
})

// ---- 6. a service looping back to itself ---------------------------------

describe('lastHopMayBeSelf', () => {
  it('a path ending at this router builds only with the option; self elsewhere, or a 1-hop self path, is always refused', async () => {
    const t = network(251)
    const self = peer(t, 'p0')
    const info = (id: string): TestPeer['info'] => peer(t, id).info
    await expect(self.router.buildCircuit([info('p1'), info('p2'), info('p0')])).rejects.toBeInstanceOf(RangeError)
    await expect(self.router.buildCircuit([info('p1'), info('p0'), info('p2')], undefined, { lastHopMayBeSelf: true })).rejects.toBeInstanceOf(RangeError)
    await expect(self.router.buildCircuit([info('p0')], undefined, { lastHopMayBeSelf: true })).rejects.toBeInstanceOf(RangeError)
    await expect(self.router.buildCircuit([info('p1'), info('p2'), info('p1')], undefined, { lastHopMayBeSelf: true })).rejects.toBeInstanceOf(RangeError)
    const loop = await build(t, 'p0', ['p1', 'p2', 'p0'], { lastHopMayBeSelf: true })
    expect(loop.state).toBe('open')
    expect(self.router.stats()).toMatchObject({ clientCircuits: 1, relayCircuits: 1 })
    const echoed = await t.settle(loop.echo(pattern(2000, 1)))
    expect(echoed).toEqual(pattern(2000, 1))
  })

  it('the client picks the service itself as RP: the service loops back and the join carries data both ways', async () => {
    const t = network(252)
    const svc = peer(t, 'p0')
    const client = await build(t, 'p1', ['p2', 'p3', 'p0'])
    const cookie = cookieOf(0x77)
    await t.settle(client.request(RelayCommand.ESTABLISH_RENDEZVOUS, encodeEstablishRendezvous(cookie), RelayCommand.RENDEZVOUS_ESTABLISHED))
    const got = new Promise<Uint8Array>(resolve => client.onControl((c, d) => { if (c === RelayCommand.RENDEZVOUS2) resolve(d.slice()) }))
    const service = await build(t, 'p0', ['p4', 'p5', 'p0'], { lastHopMayBeSelf: true })
    service.sendControl(RelayCommand.RENDEZVOUS1, encodeRendezvous1({ cookie, reply: replyOf(8) }))
    expect(await t.settle(got)).toEqual(replyOf(8))
    const { atClient, atService } = attachBoth(client, service)
    const c2s = pattern(RELAY_DATA_MAX * 250, 1)
    const s2c = pattern(RELAY_DATA_MAX * 250, 2)
    await t.settle(Promise.all([client.write(1, c2s), service.write(1, s2c)]), 300_000)
    await runUntil(t, () => received(atService) >= c2s.length && received(atClient) >= s2c.length, 300_000)
    expect(concat(atService)).toEqual(c2s)
    expect(concat(atClient)).toEqual(s2c)
    expect(totalProtocolErrors(t)).toBe(0)
    const closed = closedPromise(service)
    client.destroy()
    await t.settle(closed)
    await runUntil(t, () => svc.router.stats().relayCircuits === 0 && svc.router.stats().clientCircuits === 0)
  })
})

// ---- 7. limits --------------------------------------------------------------

describe('limits', () => {
  it('maxIntroPoints: the extra ESTABLISH_INTRO circuit is destroyed; a closed registration frees its slot', async () => {
    const t = network(261, 8, { p7: { maxIntroPoints: 2 } })
    const ip = peer(t, 'p7')
    const a = await build(t, 'p0', ['p2', 'p3', 'p7'])
    const b = await build(t, 'p0', ['p3', 'p2', 'p7'])
    await t.settle(a.request(RelayCommand.ESTABLISH_INTRO, encodeEstablishIntro(authIdOf(1)), RelayCommand.INTRO_ESTABLISHED))
    await t.settle(b.request(RelayCommand.ESTABLISH_INTRO, encodeEstablishIntro(authIdOf(2)), RelayCommand.INTRO_ESTABLISHED))
    const extra = await build(t, 'p1', ['p4', 'p5', 'p7'])
    controlLog(extra)
    const closed = closedPromise(extra)
    extra.sendControl(RelayCommand.ESTABLISH_INTRO, encodeEstablishIntro(authIdOf(3)))
    await t.settle(closed)
    expect(internals(ip.router).roles.introPoints.size).toBe(2)
    expect([a.state, b.state]).toEqual(['open', 'open'])
    a.destroy()
    await runUntil(t, () => internals(ip.router).roles.introPoints.size === 1)
    const c = await build(t, 'p1', ['p4', 'p5', 'p7'])
    await t.settle(c.request(RelayCommand.ESTABLISH_INTRO, encodeEstablishIntro(authIdOf(3)), RelayCommand.INTRO_ESTABLISHED))
  })

  it('maxPendingRendezvous: the extra ESTABLISH_RENDEZVOUS circuit is destroyed; a join frees its slot', async () => {
    const t = network(262, 8, { p6: { maxPendingRendezvous: 1 } })
    const rp = peer(t, 'p6')
    const { client } = await joinedPair(t) // took the slot, then freed it by joining
    expect(client.state).toBe('open')
    const waiting = await build(t, 'p1', ['p2', 'p5', 'p6'])
    await t.settle(waiting.request(RelayCommand.ESTABLISH_RENDEZVOUS, encodeEstablishRendezvous(cookieOf(1)), RelayCommand.RENDEZVOUS_ESTABLISHED))
    controlLog(waiting)
    const extra = await build(t, 'p0', ['p4', 'p3', 'p6'])
    controlLog(extra)
    const closed = closedPromise(extra)
    extra.sendControl(RelayCommand.ESTABLISH_RENDEZVOUS, encodeEstablishRendezvous(cookieOf(2)))
    await t.settle(closed)
    expect([...internals(rp.router).roles.rendezvous.keys()]).toEqual([toHex(cookieOf(1))])
    expect(waiting.state).toBe('open')
  })
})

describe('rendezvous point: window, activity, and malformed fetches', () => {
  it('the RP backlog bound follows limits.circuitWindow (an obedient client is not punished with a larger window)', async () => {
    // Every router runs a 2,000-cell window; the RP's queue is capped at the
    // module constant (1,000) instead of its own limits.circuitWindow.
    const t = network(271, 8, {}, { circuitWindow: 2_000 })
    const rp = peer(t, 'p6')
    const { client, service } = await joinedPair(t)
    attachBoth(client, service)
    stopAcknowledging(service)
    const backlog = trackBacklog(rp)
    void client.write(1, new Uint8Array(RELAY_DATA_MAX * 4_500)).catch(() => {})
    await runFor(t, 60_000)
    expect(totalProtocolErrors(t)).toBe(0)
    expect(client.state).toBe('open')
    expect(backlog.max).toBeLessThanOrEqual(2_000)
  })

  it('DATA the RP relays onto a joined circuit counts as activity on it (PROTOCOL.md §7 "in either direction")', async () => {
    const idleCircuitMs = 20_000
    const t = network(272, 8, {}, { idleCircuitMs })
    const { client, service } = await joinedPair(t)
    const { atService } = attachBoth(client, service)
    // Only the client talks (a message every 4 s, for 60 s); the service only listens.
    for (let i = 0; i < 15 && client.state === 'open'; i++) {
      await t.settle(client.write(1, pattern(50, i)).catch(() => {}))
      await runFor(t, 4_000)
    }
    expect([client.state, service.state]).toEqual(['open', 'open'])
    expect(received(atService)).toBe(15 * 50)
  })

  it('a malformed HSDIR_FETCH is a protocol violation also at a relay without HSDir hooks', async () => {
    const t = network(273)
    const c = await build(t, 'p1', ['p4', 'p5', 'p7'])
    controlLog(c)
    c.sendControl(RelayCommand.HSDIR_FETCH, bytes(DESC_ID_LEN + 1, 1))
    await runFor(t, 2_000)
    expect(c.state).toBe('closed')
    expect(peer(t, 'p7').router.stats().protocolErrors).toBe(1)
  })
})
