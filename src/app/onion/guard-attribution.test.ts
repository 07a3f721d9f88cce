/**
 * Issue #13 item 1, the guard half: whoever names an endpoint (a client
 * naming its rendezvous point in INTRODUCE, up to 30 a minute) must not be
 * able to make this tab retire its entry guard, or each DoS walks the tab to
 * a fresh guard and a fresh chance for a colluding middle to see it
 * (guard-spec §4.8: only failures to connect to or build through the guard
 * count against it). Real onion routers on the virtual network, the real
 * CircuitBuilder and GuardSet; only the path choice is a plain core call.
 */
import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../core/clock.ts'
import { TestNetwork, type TestPeer } from '../../core/circuit/test-network.ts'
import type { RelayInfo } from '../../core/circuit/router.ts'
import type { RelayDescriptor } from '../../core/directory/descriptor.ts'
import { choosePath, GUARD_MAX_FAILURES, GuardSet } from '../../core/path/index.ts'
import { fakeRelay } from '../../core/path/path.test-util.ts'
import { seededRandom } from '../../core/random.ts'
import { CircuitBuilder } from './builder.ts'
import { GUARD_FAILURE_SETTLE_MS } from './constants.ts'

const RELAYS = 8

function setup (seed: number) {
  const t = new TestNetwork(seed)
  const service = t.addPeer('svc')
  const relays = Array.from({ length: RELAYS }, (_, i) => t.addPeer(`r${i}`))
  const byId = new Map<string, TestPeer>(relays.map(r => [r.id, r]))
  const descriptors: RelayDescriptor[] = relays.map(r => fakeRelay(r.id))
  const guards = new GuardSet({ rng: seededRandom(`guard-attribution-${seed}`) })
  const rng = seededRandom(`guard-attribution-paths-${seed}`)
  const clock = new ManualClock(0)
  const builder = new CircuitBuilder({
    build: async (path, onProgress, opts) => await t.settle(service.router.buildCircuit(path, onProgress, opts)),
    guards: () => ({
      reportSuccess: (p) => { guards.markSuccess(p) },
      reportFailure: (p) => { guards.markFailure(p) },
      reportPathBias: () => {}
    }),
    policy: { noteFailure: () => {}, prepareNextPath: () => {} },
    isOffline: () => false,
    clock
  })
  /** A service's rendezvous: guard → middle → the rendezvous point the client named. */
  const rendezvous = async (rp: RelayInfo): Promise<unknown> => await builder.buildWithRetries(
    (avoid) => [...choosePath(descriptors, { self: 'svc', rng, hops: 2, exclude: [rp.peerId, ...avoid], guards }).map(d => byId.get(d.peerId)!.info), rp],
    undefined, { fixedLast: true, lastHopMayBeSelf: true, countsForPathBias: false }
  ).then(() => 'built', (err: unknown) => err)
  const settle = (): void => { clock.advance(GUARD_FAILURE_SETTLE_MS); builder.settleGuardFailures() }
  return { t, relays, guards, rendezvous, settle }
}

describe('guard failures are only the guard\'s own (guard-spec §4.8)', () => {
  it('an attacker naming 30 dead, refusing or broken rendezvous points does not make the service replace its guard', async () => {
    const { t, relays, guards, rendezvous, settle } = setup(1301)
    guards.refresh(relays.map(r => fakeRelay(r.id)), 'svc')
    const before = guards.guards.map(g => g.peerId)
    const real = relays.find(r => !before.includes(r.id))!.info
    // What a client may put in INTRODUCE as its rendezvous point:
    const named: RelayInfo[] = [
      { ...real, peerId: 'nobody-here' }, // a tab that does not exist: the middle cannot reach it
      { ...real, onionKey: new Uint8Array(32) }, // a real relay with an unusable onion key: no onionskin can be made
      { ...real, nodeId: new Uint8Array(32).fill(7) } // a real relay under the wrong identity: it refuses the handshake
    ]
    const outcomes: unknown[] = []
    for (let i = 0; i < 30; i++) {
      outcomes.push(await rendezvous(named[i % named.length]!))
      settle()
    }
    expect(outcomes.every(o => o instanceof Error)).toBe(true) // every one failed
    expect(guards.retiredGuards).toEqual([])
    expect(guards.guards.map(g => g.peerId)).toEqual(before)
    expect(t.peers.size).toBe(RELAYS + 1)
  })

  it('a guard that is really gone is still replaced after its own failures', async () => {
    const { t, relays, guards, rendezvous, settle } = setup(1302)
    guards.refresh(relays.map(r => fakeRelay(r.id)), 'svc')
    const [first] = guards.guards.map(g => g.peerId)
    const rp = relays.find(r => !guards.guards.some(g => g.peerId === r.id))!.info
    t.removePeer(first!)
    for (let i = 0; i < GUARD_MAX_FAILURES; i++) {
      await rendezvous(rp)
      settle()
    }
    expect(guards.retiredGuards).toEqual([first])
  })
})
