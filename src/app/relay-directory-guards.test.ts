/**
 * The relay directory's guard state against issue #13 item 1: a service's
 * onion-service circuits to an endpoint someone else names (prop 333), and a
 * guard that kills circuits beyond itself (path-spec, path bias). Real signed
 * descriptors bound to real Ed25519 peer ids.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { RelayInfo } from '../core/circuit/router.ts'
import { ManualClock } from '../core/clock.ts'
import { encodeRelayWorkProof, RELAY_WORK_NONCE_LENGTH, relayWorkEpoch, signDescriptor, solveRelayWork } from '../core/directory/index.ts'
import { L2_MIN_LIFETIME_MS, L2_VANGUARD_COUNT, PATH_BIAS_MAX_DISABLED, PATH_BIAS_MIN_OBSERVATIONS } from '../core/path/index.ts'
import { testPeerIdentity } from '../net/testing/peer-keys.ts'
import { PathPolicy } from './onion/path-policy.ts'
import { DESCRIPTOR_LIFETIME_MS, RelayDirectory } from './relay-directory.ts'

const RELAYS = 30

async function relayKey () {
  return await testPeerIdentity() // a peer id that really embeds its Ed25519 key, as the directory checks
}

/** Signed, with the least proof of work (effort 1: any nonce), valid DESCRIPTOR_LIFETIME_MS from now. */
async function relayDescriptor (r: Awaited<ReturnType<typeof relayKey>>, i: number, now: number): Promise<Uint8Array> {
  const proof = solveRelayWork({ signingKey: r.publicKey, epoch: relayWorkEpoch(now), effort: 1 }, new Uint8Array(RELAY_WORK_NONCE_LENGTH))
  return await signDescriptor({
    peerId: r.peerId, onionKey: new Uint8Array(32).fill(i + 1), signingKey: r.publicKey, published: now, expires: now + DESCRIPTOR_LIFETIME_MS,
    capacity: 1024, maxCircuits: 512, networkHint: null, powNonce: encodeRelayWorkProof(proof)
  }, async (m) => await r.sign(m))
}

async function setup (relays = RELAYS) {
  const clock = new ManualClock(1_700_000_000_000)
  const self = await relayKey()
  const dir = new RelayDirectory({
    self: { peerId: self.peerId, nodeId: new Uint8Array(32), onionKey: new Uint8Array(32).fill(9) },
    transportPublicKey: self.publicKey,
    sign: async (m) => await self.sign(m),
    maxCircuits: 512,
    now: () => clock.now()
  })
  dir.setAnnouncedEfforts({ publish: 1, accept: 1 }) // what a test seed announces: the work is not what is tested here
  const keys = await Promise.all(Array.from({ length: relays }, async () => await relayKey()))
  /** Every relay re-publishes now (descriptors live 20 min, as a tab's do). */
  const refresh = async (): Promise<void> => {
    for (const [i, r] of keys.entries()) expect(dir.addEncoded(await relayDescriptor(r, i, clock.now()))).toBe(true)
  }
  await refresh()
  const policy = new PathPolicy({ directory: () => dir, prepareOnionskin: () => {}, wallClock: clock, monotonic: clock })
  return { dir, policy, clock, refresh }
}

afterEach(() => { vi.restoreAllMocks() })

describe('vanguards-lite against guard discovery through a chosen rendezvous point (prop 333)', () => {
  it('a middle colluding with a rendezvous point the client names never has the service\'s guard as its predecessor, over 1,000 rendezvous circuits', async () => {
    const { dir, policy, clock } = await setup()
    const rp = dir.relays()[0]! // named by the attacker in every INTRODUCE
    const guard = dir.currentGuard([rp.peerId])
    const circuits: RelayInfo[][] = []
    for (let i = 0; i < 1000; i++) {
      circuits.push([...policy.chooseOnionServicePath([rp.peerId]), rp]) // as OnionService.buildCircuitTo does
      clock.advance(1_000) // 30 a minute would take longer; well within one L2 lifetime either way
    }
    const at = (c: RelayInfo[], fromEnd: number): string => c[c.length - 1 - fromEnd]!.peerId
    // Whoever sits beside the RP (a colluding middle) sees its predecessor: never the guard.
    const guardBesideColluder = circuits.filter(c => at(c, 2) === guard).length
    expect(guardBesideColluder).toBe(0)
    expect(circuits.filter(c => at(c, 1) === guard)).toHaveLength(0)
    // The relay beside the RP is drawn from all middles, the one before it from the small L2 set.
    expect(new Set(circuits.map(c => at(c, 1))).size).toBeGreaterThan(L2_VANGUARD_COUNT * 3)
    const besideGuard = new Set(circuits.map(c => c[1]!.peerId))
    expect(besideGuard.size).toBeLessThanOrEqual(L2_VANGUARD_COUNT)
    expect(circuits.every(c => c[0]!.peerId === guard)).toBe(true)
    expect(circuits.every(c => c.length === 4)).toBe(true)
  })

  it('the L2 set turns over slowly: two hours of rendezvous circuits, one a minute, meet at most three L2 relays per slot', async () => {
    const { dir, policy, clock, refresh } = await setup()
    const rp = dir.relays()[0]!
    const besideGuard = new Set<string>()
    const besideRp = new Set<string>()
    for (let minute = 0; minute < 120; minute++) {
      if (minute % 15 === 14) await refresh() // the relays stay: they re-publish before their descriptors expire
      const stem = policy.chooseOnionServicePath([rp.peerId])
      besideGuard.add(stem[1]!.peerId)
      besideRp.add(stem[2]!.peerId)
      clock.advance(60_000)
    }
    // Each member lives at least L2_MIN_LIFETIME_MS (1 h): in 2 h a slot holds at most 3 relays.
    expect(besideGuard.size).toBeLessThanOrEqual(L2_VANGUARD_COUNT * (1 + Math.ceil(120 * 60_000 / L2_MIN_LIFETIME_MS)))
    expect(besideRp.size).toBeGreaterThan(besideGuard.size)
  })

  it('in a network too small for guard → L2 → middle, the stem is guard → L2: the guard is still never beside the endpoint', async () => {
    const { dir, policy } = await setup(3) // the guard, one more relay, and the RP
    const rp = dir.relays()[0]!
    const guard = dir.currentGuard([rp.peerId])!
    for (let i = 0; i < 50; i++) {
      const stem = policy.chooseOnionServicePath([rp.peerId]).map(r => r.peerId)
      expect(stem).toHaveLength(2)
      expect(stem[0]).toBe(guard)
      expect(stem).not.toContain(rp.peerId)
    }
  })
})

describe('layer-2 vanguards that are gone', () => {
  it('in a small network with a relay believed gone, the stem is the shorter one of live relays, not the full one through the gone relay', async () => {
    const { dir, policy } = await setup(4) // the RP and three more: just enough for guard → L2 → middle
    const rp = dir.relays()[0]!
    const guard = dir.currentGuard([rp.peerId])!
    const gone = dir.relays().find(r => r.peerId !== rp.peerId && r.peerId !== guard)!
    policy.markUnreachable(gone.peerId)
    for (let i = 0; i < 20; i++) {
      const stem = policy.chooseOnionServicePath([rp.peerId]).map(r => r.peerId)
      expect(stem).not.toContain(gone.peerId)
      expect(stem).toHaveLength(2)
    }
  })


  it('members believed gone (a closed tab stays listed until its descriptor expires) are replaced; the guard is not', async () => {
    const { dir, policy } = await setup(8)
    const rp = dir.relays()[0]!
    const guard = dir.currentGuard([rp.peerId])
    const before = new Set(Array.from({ length: 200 }, () => policy.chooseOnionServicePath([rp.peerId])[1]!.peerId))
    for (const id of before) policy.markUnreachable(id)
    const after = new Set(Array.from({ length: 200 }, () => policy.chooseOnionServicePath([rp.peerId])[1]!.peerId))
    for (const id of after) expect(before.has(id)).toBe(false)
    expect(dir.currentGuard([rp.peerId])).toBe(guard)
  })
})

describe('path bias in the relay directory (path-spec, path bias lite)', () => {
  it('a guard that kills most circuits beyond its first hop is disabled with a named reason, and the log names no peer', async () => {
    const { dir } = await setup()
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const healthy = dir.currentGuard([])!
    for (let i = 0; i < PATH_BIAS_MIN_OBSERVATIONS; i++) dir.reportPathBias(healthy, 'built')
    const guard = dir.currentGuard([healthy])!
    for (let i = 0; i < PATH_BIAS_MIN_OBSERVATIONS; i++) dir.reportPathBias(guard, i % 5 === 0 ? 'built' : 'failed-beyond-guard')
    expect(dir.currentGuard([healthy])).not.toBe(guard)
    expect(dir.guardWarnings()).toEqual([{ reason: 'path-bias-disabled', built: 3, failedBeyondGuard: 12 }])
    expect(warn).toHaveBeenCalledTimes(1)
    const logged = warn.mock.calls.flat().join(' ')
    expect(logged).toContain('path-bias-disabled')
    for (const r of dir.relays()) expect(logged).not.toContain(r.peerId)
  })

  it('an honest guard with normal failures beyond it is kept', async () => {
    const { dir } = await setup()
    const guard = dir.currentGuard([])!
    for (let i = 0; i < 200; i++) dir.reportPathBias(guard, i % 5 === 0 ? 'failed-beyond-guard' : 'built')
    expect(dir.currentGuard([])).toBe(guard)
    expect(dir.guardWarnings()).toEqual([])
  })

  it(`disables at most ${PATH_BIAS_MAX_DISABLED} guards a session: beyond that the network is failing, and the guard is only flagged`, async () => {
    const { dir } = await setup()
    vi.spyOn(console, 'warn').mockImplementation(() => {})
    const healthy = dir.currentGuard([])!
    for (let i = 0; i < PATH_BIAS_MIN_OBSERVATIONS; i++) dir.reportPathBias(healthy, 'built')
    const seen: string[] = []
    for (let k = 0; k <= PATH_BIAS_MAX_DISABLED; k++) {
      const guard = dir.currentGuard([healthy])!
      seen.push(guard)
      for (let i = 0; i < PATH_BIAS_MIN_OBSERVATIONS; i++) dir.reportPathBias(guard, 'failed-beyond-guard')
    }
    expect(new Set(seen).size).toBe(PATH_BIAS_MAX_DISABLED + 1)
    expect(dir.currentGuard([healthy])).toBe(seen[PATH_BIAS_MAX_DISABLED])
    expect(dir.guardWarnings().map(w => w.reason)).toEqual([...Array(PATH_BIAS_MAX_DISABLED).fill('path-bias-disabled'), 'path-bias-flagged'])
  })
  it('when every guard\'s circuits fail beyond it (the network, not a guard), none is disabled: the tab is not walked through its guards', async () => {
    const { dir } = await setup()
    vi.spyOn(console, 'warn').mockImplementation(() => {})
    const first = dir.currentGuard([])!
    for (let round = 0; round < 3; round++) {
      const guard = dir.currentGuard([])!
      for (let i = 0; i < PATH_BIAS_MIN_OBSERVATIONS; i++) dir.reportPathBias(guard, 'failed-beyond-guard')
    }
    expect(dir.currentGuard([])).toBe(first)
    expect(dir.guardWarnings().map(w => w.reason)).toEqual(['path-bias-flagged'])
  })
})
