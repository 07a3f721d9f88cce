import { describe, expect, it } from 'vitest'
import { testPeerIdentity } from '../net/testing/peer-keys.ts'
import { x25519 } from '@noble/curves/ed25519.js'
import { decodeDescriptor, signDescriptor } from '../core/directory/descriptor.ts'
import { checkRelayWork, decodeRelayWorkProof } from '../core/directory/work.ts'
import { DEFAULT_RELAY_WORK_EFFORT, MAX_OWN_RELAY_WORK_EFFORT, RELAY_WORK_EPOCH_MS } from '../core/directory/limits.ts'
import { MAX_DESCRIPTOR_CLOCK_SKEW_MS } from '../core/directory/descriptor.ts'
import { RELAY_WORK_ANNOUNCE_WAIT_MS, RelayDirectory, type RelayWorkView } from './relay-directory.ts'
import { inThreadSolver, type RelayWorkSolver } from './relay-work/solver.ts'

const NOW = 1_700_000_000_000

async function tab (clock: { t: number }, solveWork: RelayWorkSolver = inThreadSolver, views: RelayWorkView[] = [], maxDirectoryEntries?: number) {
  const { peerId, publicKey, sign } = await testPeerIdentity()
  const directory = new RelayDirectory({
    self: { peerId, nodeId: new Uint8Array(32), onionKey: x25519.getPublicKey(x25519.utils.randomSecretKey()) },
    transportPublicKey: publicKey,
    sign,
    maxCircuits: 8,
    now: () => clock.t,
    solveWork,
    onWorkChange: (v) => { views.push(v) },
    ...(maxDirectoryEntries != null ? { maxDirectoryEntries } : {})
  })
  return { directory, peerId, publicKey, sign }
}

describe('RelayDirectory: our own proof of work', () => {
  it('shares no unproven descriptor, and a proven one after the seed announced the effort', async () => {
    const clock = { t: NOW }
    const views: RelayWorkView[] = []
    const { directory: a } = await tab(clock, inThreadSolver, views)
    await a.publishSelf()
    expect(a.encodedForSharing(10)).toEqual([]) // everyone would refuse it: it is not sent
    await a.prepareWork()
    expect(views).toEqual([]) // no seed has spoken yet, and the wait is not over: nothing computed
    a.setAnnouncedEfforts({ publish: 300, accept: 200 })
    await expect.poll(() => a.workView.phase).toBe('ready')
    await expect.poll(() => a.encodedForSharing(10).length).toBe(1)
    const own = decodeDescriptor(a.encodedForSharing(10)[0]!).descriptor
    expect(checkRelayWork(own, clock.t, 300, MAX_DESCRIPTOR_CLOCK_SKEW_MS)).toBe(300)
    // another tab that accepts 200 takes it
    const { directory: b } = await tab(clock)
    b.setAnnouncedEfforts({ publish: 300, accept: 200 })
    expect(b.addEncoded(a.encodedForSharing(10)[0]!)).toBe(true)
    expect(views[0]).toEqual({ phase: 'working', effort: 300, attempts: 0 })
  })

  it('works at the default when no seed has answered within the wait, and again when the epoch turns', async () => {
    const clock = { t: NOW }
    const efforts: Array<{ effort: number, epoch: number }> = []
    const fake: RelayWorkSolver = async (challenge) => {
      efforts.push({ effort: challenge.effort, epoch: challenge.epoch })
      return { epoch: challenge.epoch, effort: challenge.effort, nonce: new Uint8Array(16) }
    }
    const { directory } = await tab(clock, fake)
    await directory.prepareWork()
    expect(efforts).toEqual([])
    clock.t += RELAY_WORK_ANNOUNCE_WAIT_MS
    await directory.prepareWork()
    await directory.prepareWork() // once per epoch: the proof is reused
    expect(efforts.map(e => e.effort)).toEqual([DEFAULT_RELAY_WORK_EFFORT])
    clock.t += RELAY_WORK_EPOCH_MS
    await directory.prepareWork()
    expect(efforts).toHaveLength(2)
    expect(efforts[1]!.epoch).toBe(efforts[0]!.epoch + 1)
  })

  it('a seed asking more than a tab spends leaves the tab a client, and says so', async () => {
    const clock = { t: NOW }
    const { directory } = await tab(clock, async () => { throw new Error('must not be called') })
    directory.setAnnouncedEfforts({ publish: MAX_OWN_RELAY_WORK_EFFORT + 1, accept: 1000 })
    await directory.prepareWork()
    expect(directory.workView).toEqual({ phase: 'too-costly', effort: MAX_OWN_RELAY_WORK_EFFORT + 1 })
  })

  it('a tab whose directory is full publishes with more than the least-worked entry, so tabs in that state take it', async () => {
    const clock = { t: NOW }
    const others = await Promise.all([0, 1].map(async () => await tab(clock)))
    for (const o of others) o.directory.setAnnouncedEfforts({ publish: 64, accept: 64 })
    await expect.poll(() => others.every(o => o.directory.encodedForSharing(1).length === 1)).toBe(true)
    const efforts: number[] = []
    const recording: RelayWorkSolver = async (c, p, s) => { efforts.push(c.effort); return await inThreadSolver(c, p, s) }
    const { directory: full } = await tab(clock, recording, [], 2)
    for (const o of others) expect(full.addEncoded(o.directory.encodedForSharing(1)[0]!)).toBe(false) // default bar: no seed yet
    full.setAnnouncedEfforts({ publish: 64, accept: 64 })
    await expect.poll(() => full.workView.phase).toBe('ready')
    expect(efforts).toEqual([64])
    for (const o of others) expect(full.addEncoded(o.directory.encodedForSharing(1)[0]!)).toBe(true)
    expect(full.targetEffort()).toBe(65)
    clock.t += RELAY_WORK_EPOCH_MS // next epoch: the others republish (their proofs still good), ours is redone
    for (const o of others) {
      await o.directory.republishIfDue()
      expect(full.addEncoded(o.directory.encodedForSharing(1)[0]!)).toBe(true)
    }
    await full.prepareWork() // outbids the least-worked entry
    expect(efforts).toEqual([64, 65])
  })

  it('publishes with the proof it has, and republishes reuse it (no new work per descriptor)', async () => {
    const clock = { t: NOW }
    let solves = 0
    const counting: RelayWorkSolver = async (c, p, s) => { solves++; return await inThreadSolver(c, p, s) }
    const { directory } = await tab(clock, counting)
    directory.setAnnouncedEfforts({ publish: 64, accept: 64 })
    await expect.poll(() => directory.workView.phase).toBe('ready')
    const first = decodeRelayWorkProof(decodeDescriptor(directory.encodedForSharing(1)[0]!).descriptor.powNonce!)
    clock.t += 13 * 60_000 // past the republish margin
    await directory.republishIfDue()
    const second = decodeDescriptor(directory.encodedForSharing(1)[0]!).descriptor
    expect(second.published).toBeGreaterThan(NOW)
    expect(decodeRelayWorkProof(second.powNonce!)).toEqual(first)
    expect(solves).toBe(1)
  })
})

describe('RelayDirectory: descriptors from gossip', () => {
  it('an unproven relay descriptor from a neighbour is ignored and counted', async () => {
    const clock = { t: NOW }
    // Mallory signs a valid descriptor for her own peer id and skips the work
    const mallory = await testPeerIdentity()
    const unproven = await signDescriptor({
      peerId: mallory.peerId, onionKey: x25519.getPublicKey(x25519.utils.randomSecretKey()), signingKey: mallory.publicKey,
      published: clock.t, expires: clock.t + 20 * 60_000, capacity: 100, maxCircuits: 8, networkHint: null, powNonce: null
    }, mallory.sign)
    const { directory: victim } = await tab(clock)
    victim.setAnnouncedEfforts({ publish: 64, accept: 64 })
    expect(victim.addEncoded(unproven)).toBe(false)
    expect(victim.rejected).toBe(1)
    expect(victim.size).toBe(0)
  })
})
