import { describe, expect, it } from 'vitest'
import { x25519PublicKey } from '../core/crypto/primitives.ts'
import { decodeDescriptor, Directory, ed25519Signer, RELAY_WORK_NONCE_LENGTH } from '../core/directory/index.ts'
import { ed25519PublicKeyFromSeed } from '../core/identity/keys.ts'
import { seededRandom } from '../core/random.ts'
import {
  DESCRIPTOR_LIFETIME_MS, DESCRIPTOR_PUBLISHED_BACKDATE_MAX_MS, DESCRIPTOR_PUBLISHED_GRANULARITY_MS, DESCRIPTOR_REPUBLISH_MARGIN_MAX_MS,
  DESCRIPTOR_REPUBLISH_MARGIN_MIN_MS, RelayDirectory
} from './relay-directory.ts'
import type { RelayWorkSolver } from './relay-work/solver.ts'

const START = 1_767_600_000_000 + 12_345 // a tab start, to the ms
const GOSSIP_ROUND_MS = 15_000

/** The work is not what is tested here: a solver that needs no time, at the least effort. */
const noWork: RelayWorkSolver = async (c) => ({ epoch: c.epoch, effort: c.effort, nonce: new Uint8Array(RELAY_WORK_NONCE_LENGTH) })

/** A tab whose first descriptor (proven, so shared) is out, as the app's is once its seed answered. */
async function tab (seed: string, clock: { t: number }): Promise<RelayDirectory> {
  const r = seededRandom(`relay-directory-test:${seed}`)
  const key = r(32)
  const d = new RelayDirectory({
    self: { peerId: `12D3KooWRelay${seed}`, nodeId: r(32), onionKey: x25519PublicKey(r(32)) },
    transportPublicKey: ed25519PublicKeyFromSeed(key),
    sign: async (m) => await ed25519Signer(key)(m),
    maxCircuits: 100,
    now: () => clock.t,
    random: r,
    solveWork: noWork
  })
  d.setAnnouncedEfforts({ publish: 1, accept: 1 })
  await expect.poll(() => d.encodedForSharing(1).length).toBe(1)
  return d
}

const own = (d: RelayDirectory): Uint8Array => {
  const b = d.encodedForSharing(1)[0]
  if (b == null) throw new Error('no own descriptor')
  return b
}

describe('RelayDirectory descriptor times (docs/PROTOCOL.md "Descriptor times")', () => {
  it('published-reveals-tab-start: published is whole minutes, backdated by a random amount, never the start to the ms', async () => {
    const backdates = new Set<number>()
    for (let i = 0; i < 24; i++) {
      const clock = { t: START }
      const d = await tab(`start${i}`, clock)
      const { published, expires } = decodeDescriptor(own(d)).descriptor
      expect(published % DESCRIPTOR_PUBLISHED_GRANULARITY_MS).toBe(0)
      expect(published).toBeLessThanOrEqual(START)
      expect(START - published).toBeLessThan(DESCRIPTOR_PUBLISHED_BACKDATE_MAX_MS + DESCRIPTOR_PUBLISHED_GRANULARITY_MS)
      expect(expires).toBe(published + DESCRIPTOR_LIFETIME_MS)
      backdates.add(START - published)
    }
    // Tabs started at the same ms claim different times: the backdating is drawn, not fixed.
    expect(backdates.size).toBeGreaterThan(3)
  })

  it('republish-on-fixed-beat: tabs started together republish at different gossip rounds, and each republish replaces the last at other relays', async () => {
    const firstRepublish: number[] = []
    for (let i = 0; i < 12; i++) {
      const clock = { t: START }
      const d = await tab(`beat${i}`, clock)
      const elsewhere = new Directory({ minEffort: 1 })
      expect(elsewhere.add(own(d), clock.t)).toBe('added')
      let republishes = 0
      let last = own(d)
      while (clock.t < START + 60 * 60_000) {
        clock.t += GOSSIP_ROUND_MS
        await d.republishIfDue()
        const now = own(d)
        if (now === last) continue
        if (republishes++ === 0) firstRepublish.push(clock.t - START)
        // Still newer than the last one, so other relays take it (core/directory: newer published replaces).
        expect(elsewhere.add(now, clock.t)).toBe('replaced')
        // Never left to expire: republished with at least the smallest margin left (less one gossip round).
        expect(decodeDescriptor(last).descriptor.expires - clock.t).toBeGreaterThan(DESCRIPTOR_REPUBLISH_MARGIN_MIN_MS - GOSSIP_ROUND_MS)
        last = now
      }
      expect(republishes).toBeGreaterThanOrEqual(3)
    }
    // With a fixed margin every one of these tabs republishes in the same round.
    const spread = Math.max(...firstRepublish) - Math.min(...firstRepublish)
    expect(spread).toBeGreaterThan((DESCRIPTOR_REPUBLISH_MARGIN_MAX_MS - DESCRIPTOR_REPUBLISH_MARGIN_MIN_MS) / 2)
  })
})
