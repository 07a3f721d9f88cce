import { describe, expect, it } from 'vitest'
import type { NetworkSnapshot } from '../app/services.ts'
import { announcement, reachOf, type Reach } from './network-announcement.ts'

/** What NetworkStatus would say along a run of phases: one entry per announcement. */
function said (phases: Array<NetworkSnapshot['phase'] | 'browser-offline'>): string[] {
  let reach: Reach = 'fine'
  const out: string[] = []
  for (const p of phases) {
    const online = p !== 'browser-offline'
    const snapshot = { phase: p === 'browser-offline' ? 'online' as const : p }
    const next = reachOf(snapshot, online, reach)
    if (next !== reach) out.push(announcement(reach, next, snapshot))
    reach = next
  }
  return out
}

describe('network announcements', () => {
  it('say nothing while connecting and reconnecting', () => {
    expect(said(['starting', 'connecting', 'online', 'connecting', 'online', 'connecting', 'online'])).toEqual([])
  })

  it('say going offline and being back once each, however often the phase changes in between', () => {
    expect(said(['online', 'offline', 'connecting', 'offline', 'connecting', 'online', 'connecting', 'online'])).toEqual(["You're offline.", "You're back online."])
    expect(said(['online', 'browser-offline', 'browser-offline', 'online'])).toEqual(["You're offline.", "You're back online."])
  })

  it('say being cut off once while retries come and go, and being connected again', () => {
    expect(said(['connecting', 'unreachable', 'connecting', 'unreachable', 'isolated', 'connecting', 'online'])).toEqual([
      "Can't reach the Shallot network.", 'Connected to the Shallot network again.'
    ])
  })
})
