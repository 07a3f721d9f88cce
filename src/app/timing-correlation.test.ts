/**
 * Issue #13 item 2, mounted: can an observer link a tab's onion service to
 * its relay (hence its peer id, hence its IP), or a service's current-period
 * descriptor to its next-period one, from the times they carry?
 *
 * A seeded simulation of N tabs, each starting at a random moment, running
 * the real RelayDirectory (first publish, then `republishIfDue` every gossip
 * round) and the real HiddenService (introduction points on fake circuits,
 * uploads to one HSDir that records everything). Time is Vitest's fake clock.
 * Two observers:
 *
 * - an invite holder, who fetches every contact's descriptor as soon as it
 *   is first uploaded (the contact just came online) and holds every relay
 *   descriptor ever gossiped. For each service it picks the relay whose times
 *   are nearest to a time read from the service descriptor, trying every
 *   reading (revision as a time, as Tor's OPE would decode it, expiry minus
 *   either lifetime) against every relay time (published, expires), and we
 *   score its best;
 * - an HSDir holding both period descriptors of every service, which pairs
 *   them by equal or nearest revision, nearest expiry, or nearest upload
 *   times (it sees when each copy arrived), again scored at its best.
 *
 * Ties are split (a pick among k equally near candidates counts 1/k). On the
 * old rules (exact ms, the same revision and expiry for both periods) both
 * observers link every tab. On the new rules (docs/RENDEZVOUS.md §4 "Timing",
 * docs/PROTOCOL.md "Descriptor times") they must be near chance, 1/N per
 * service: the bound is that the best strategy's correct count stays ≤
 * CHANCE_BOUND. Picking at random, the count is Binomial(N, 1/N) ≈ Poisson(1),
 * P(≥ 6) ≈ 6·10⁻⁴, and with eight strategies by the union bound < 0.5 %; the
 * simulation is seeded, so the result is fixed and this is how unlikely it was
 * to pass by luck. (Strategies that pick one relay for every service score at
 * most 1.)
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { nobleDh } from '../core/crypto/ntor.ts'
import { x25519PublicKey } from '../core/crypto/primitives.ts'
import { decodeDescriptor, ed25519Signer, RELAY_WORK_NONCE_LENGTH } from '../core/directory/index.ts'
import { ed25519PublicKeyFromSeed } from '../core/identity/keys.ts'
import { uniformInt } from '../core/path/sampling.ts'
import { seededRandom } from '../core/random.ts'
import { HS_DESCRIPTOR_LIFETIME_MS, HS_PERIOD_MS, HS_PERIOD_OVERLAP_MS, openHsDescriptor, parseHsDescriptorOuter } from '../core/rendezvous/index.ts'
import { testIdentity } from '../core/rendezvous/rendezvous.test-util.ts'
import { GOSSIP_INTERVAL_MS } from '../net/descriptor-gossip.ts'
import { HiddenService } from './onion-service/index.ts'
import type { OnionService } from './onion/index.ts'
import { DESCRIPTOR_LIFETIME_MS, RelayDirectory } from './relay-directory.ts'
import type { RelayWorkSolver } from './relay-work/solver.ts'

const N = 32
/** Correct links (of N) the best strategy may make and still count as chance (see the module comment). */
const CHANCE_BOUND = 5
/** A period start (in 2026), and tabs starting over 20 minutes from 35 minutes into it, so all are in the next-period overlap by the end. */
const PERIOD = 491_000
const T0 = PERIOD * HS_PERIOD_MS + 35 * 60_000
const START_WINDOW_MS = 20 * 60_000
/** The end of the simulation: just before the period ends, so every tab has uploaded for this period and the next. */
const T_END = (PERIOD + 1) * HS_PERIOD_MS - 30_000

interface Upload { at: number, period: number, revision: number, expires: number, signingKey: string, bytes: Uint8Array }
interface Tab { start: number, identityKey: Uint8Array, relayTimes: Array<{ published: number, expires: number }>, uploads: Upload[], service: HiddenService | null }

const hsdirRelay = { peerId: '12D3KooWTheObservingHsDir', nodeId: new Uint8Array(32).fill(7), onionKey: x25519PublicKey(new Uint8Array(32).fill(9)) }

function fakeCircuit (): unknown {
  return {
    path: [], state: 'open', destroy: () => {}, sendControl: () => {}, keepAlive: () => {},
    request: async () => new Uint8Array(0), onControl: () => () => {}, onClose: () => () => {}
  }
}

function fakeOnion (tab: Tab, r: (n: number) => Uint8Array): OnionService {
  let k = 0
  return {
    chooseDestination: () => ({ peerId: `12D3KooWIntro${k++}`, nodeId: r(32), onionKey: x25519PublicKey(r(32)) }),
    buildCircuitTo: async () => fakeCircuit(),
    ringMembers: () => [hsdirRelay],
    selfRelay: hsdirRelay,
    hsdir: {
      store: (bytes: Uint8Array) => {
        const at = Date.now()
        const o = parseHsDescriptorOuter(bytes, at)
        tab.uploads.push({ at, period: o.period, revision: o.revision, expires: o.expires, signingKey: Buffer.from(o.signingKey).toString('hex'), bytes })
        return true
      }
    },
    onionRouter: null
  } as unknown as OnionService
}

async function simulate (seed: string): Promise<Tab[]> {
  const rng = seededRandom(`timing-correlation:${seed}`)
  const tabs: Tab[] = []
  for (let i = 0; i < N; i++) {
    const r = seededRandom(`timing-correlation:${seed}:${i}`)
    const relaySeed = r(32)
    const id = testIdentity(r(32))
    const tab: Tab = { start: T0 + uniformInt(rng, START_WINDOW_MS), identityKey: id.publicKey, relayTimes: [], uploads: [], service: null }
    tabs.push(tab)
    const relay = new RelayDirectory({
      self: { peerId: `12D3KooWRelay${i}`, nodeId: r(32), onionKey: x25519PublicKey(r(32)) },
      transportPublicKey: ed25519PublicKeyFromSeed(relaySeed),
      sign: async (m) => await ed25519Signer(relaySeed)(m),
      maxCircuits: 100,
      now: () => Date.now(),
      random: r,
      solveWork: noWork
    })
    // Every relay descriptor this tab ever gossips: the observer keeps them all.
    const logRelay = (): void => {
      const own = relay.encodedForSharing(1)[0]
      if (own == null) return
      const d = decodeDescriptor(own).descriptor
      if (!tab.relayTimes.some(x => x.published === d.published)) tab.relayTimes.push({ published: d.published, expires: d.expires })
    }
    setTimeout(() => {
      void (async () => {
        // As OnionService.doStart: publish, then republish when due on every gossip round; the onion service starts alongside.
        await relay.publishSelf()
        relay.setAnnouncedEfforts({ publish: 1, accept: 1 }) // the seed answers; the proven descriptor follows at once
        logRelay()
        setInterval(() => { void relay.republishIfDue().then(logRelay) }, GOSSIP_INTERVAL_MS)
        const service = new HiddenService({ onion: fakeOnion(tab, r), identity: { publicKey: id.publicKey, displayName: `tab${i}`, sign: id.sign }, dh: nobleDh, random: r, now: () => Date.now() }, () => {})
        tab.service = service
        await service.start()
      })()
    }, tab.start - T0)
  }
  for (let t = T0; t < T_END; t += 30_000) await vi.advanceTimersByTimeAsync(Math.min(30_000, T_END - t))
  for (const tab of tabs) tab.service?.stop()
  return tabs
}

/** Expected correct picks when, for each i, the observer picks argmin_j dist(i, j), ties split. */
function expectedCorrect (n: number, dist: (i: number, j: number) => number): number {
  let correct = 0
  for (let i = 0; i < n; i++) {
    const d = Array.from({ length: n }, (_, j) => dist(i, j))
    const best = Math.min(...d)
    const tied = d.filter(x => x === best).length
    if (d[i] === best) correct += 1 / tied
  }
  return correct
}

const nearest = (x: number, ys: readonly number[]): number => Math.min(...ys.map(y => Math.abs(x - y)))

/** What an invite holder reads as a time from a service descriptor. */
const serviceReadings: Record<string, (u: Upload) => number> = {
  revision: u => u.revision,
  // Tor's OPE adds a mean of 0x8000 per second from the window start (Arti's AesOpeKey notes the output / 0x8001 leaks the input).
  'revision as Tor OPE': u => u.period * HS_PERIOD_MS - HS_PERIOD_OVERLAP_MS + 1000 * u.revision / 0x8001,
  'expires - hs lifetime': u => u.expires - HS_DESCRIPTOR_LIFETIME_MS,
  'expires - relay lifetime': u => u.expires - DESCRIPTOR_LIFETIME_MS
}
const relayReadings: Record<string, (t: { published: number, expires: number }) => number> = {
  published: t => t.published,
  expires: t => t.expires
}

function linkServicesToRelays (tabs: Tab[]): { best: number, by: Record<string, number> } {
  const first = tabs.map(t => {
    const u = t.uploads[0]
    if (u === undefined) throw new Error('a service never uploaded')
    openHsDescriptor(u.bytes, t.identityKey, u.at) // the invite holder can open it: these are its times
    return u
  })
  const by: Record<string, number> = {}
  for (const [sn, s] of Object.entries(serviceReadings)) {
    for (const [rn, rr] of Object.entries(relayReadings)) {
      by[`${sn} ~ ${rn}`] = expectedCorrect(tabs.length, (i, j) => nearest(s(first[i] as Upload), (tabs[j] as Tab).relayTimes.map(rr)))
    }
  }
  return { best: Math.max(...Object.values(by)), by }
}

function linkPeriods (tabs: Tab[]): { best: number, by: Record<string, number> } {
  // What the HSDir holds at the end: per service, the last copy for each period, and every arrival time per signing key.
  const held = tabs.map(t => {
    const cur = t.uploads.filter(u => u.period === PERIOD)
    const next = t.uploads.filter(u => u.period === PERIOD + 1)
    const last = (us: Upload[]): Upload => { const u = us[us.length - 1]; if (u === undefined) throw new Error('no upload for a period'); return u }
    return { cur: last(cur), next: last(next), curTimes: cur.map(u => u.at), nextTimes: next.map(u => u.at) }
  })
  const h = (i: number): typeof held[number] => held[i] as typeof held[number]
  const by: Record<string, number> = {
    'equal or nearest revision': expectedCorrect(N, (i, j) => Math.abs(h(i).cur.revision - h(j).next.revision)),
    'nearest expiry': expectedCorrect(N, (i, j) => Math.abs(h(i).cur.expires - h(j).next.expires)),
    'nearest expiry minus one period': expectedCorrect(N, (i, j) => Math.abs(h(i).cur.expires + HS_PERIOD_MS - h(j).next.expires)),
    'nearest last arrival': expectedCorrect(N, (i, j) => Math.abs(h(i).cur.at - h(j).next.at)),
    'nearest any arrivals': expectedCorrect(N, (i, j) => Math.min(...h(i).curTimes.map(t => nearest(t, h(j).nextTimes)))),
    'same arrival phase (5 s grid)': expectedCorrect(N, (i, j) => Math.abs((h(i).cur.at % 5000) - (h(j).next.at % 5000)))
  }
  return { best: Math.max(...Object.values(by)), by }
}


/** The work is not what is tested here: a solver that needs no time, at the least effort. */
const noWork: RelayWorkSolver = async (c) => ({ epoch: c.epoch, effort: c.effort, nonce: new Uint8Array(RELAY_WORK_NONCE_LENGTH) })

describe('timing correlation (issue #13 item 2)', () => {
  beforeEach(() => { vi.useFakeTimers({ now: T0 }) })
  afterEach(() => { vi.useRealTimers() })

  it('relay-service-timing-link: an invite holder cannot match a service descriptor to its tab\'s relay descriptor better than chance', async () => {
    const tabs = await simulate('relay-service')
    expect(tabs.every(t => t.relayTimes.length > 0 && t.uploads.length > 0)).toBe(true)
    const { best, by } = linkServicesToRelays(tabs)
    expect(best, `correct links of ${N}, by strategy: ${JSON.stringify(by)}`).toBeLessThanOrEqual(CHANCE_BOUND)
  }, 120_000)

  it('hsdir-period-link: an HSDir cannot pair a service\'s current and next period descriptors better than chance', async () => {
    const tabs = await simulate('periods')
    const { best, by } = linkPeriods(tabs)
    expect(best, `correct pairs of ${N}, by strategy: ${JSON.stringify(by)}`).toBeLessThanOrEqual(CHANCE_BOUND)
  }, 120_000)
})
