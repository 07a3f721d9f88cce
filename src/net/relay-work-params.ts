/**
 * The relay-descriptor proof-of-work effort the tab's bootstrap relays
 * announce (core/discovery/relay-work-params.ts has the wire format; the
 * puzzle is core/directory/work.ts). Asked once per relay connection, like
 * ICE servers (ice.ts).
 *
 * With several seeds the tab *publishes* with the largest effort any of them
 * asks (so every seed's tabs take its descriptor) and *accepts* the smallest
 * (so it does not drop relays another seed's tabs consider proven). A lying
 * seed can thus make this tab work harder (capped at MAX_OWN_RELAY_WORK_EFFORT)
 * or accept cheaper relays; a seed is already trusted to introduce the tab to
 * the network, which is a stronger position (docs/PROTOCOL.md).
 */
import { lpStream } from '@libp2p/utils'
import type { Connection } from '@libp2p/interface'
import { decodeRelayWorkParams, RELAY_WORK_PROTOCOL, RELAY_WORK_REPLY_BYTES } from '../core/discovery/relay-work-params.ts'
import { ICE_FETCH_TIMEOUT_MS } from './constants.ts'

export interface AnnouncedEfforts {
  /** Largest announced: what this tab's own descriptor needs. */
  readonly publish: number
  /** Smallest announced: the least this tab accepts from others. */
  readonly accept: number
}

export class RelayWorkAnnouncements {
  private readonly byRelay = new Map<string, number>()
  private readonly asked = new Set<string>()
  private readonly listeners = new Set<(efforts: AnnouncedEfforts) => void>()

  /** Whether `relay` has not been asked on this connection yet. */
  due (relay: string): boolean {
    return !this.asked.has(relay)
  }

  /** Ask one seed; a seed that does not speak the protocol (an older one) is simply not counted. */
  async fetchFrom (relay: string, connection: Connection): Promise<void> {
    if (this.asked.has(relay)) return
    this.asked.add(relay)
    try {
      const signal = AbortSignal.timeout(ICE_FETCH_TIMEOUT_MS)
      const stream = await connection.newStream(RELAY_WORK_PROTOCOL, { signal })
      try {
        const effort = decodeRelayWorkParams((await lpStream(stream, { maxDataLength: RELAY_WORK_REPLY_BYTES }).read({ signal })).subarray())
        await stream.close({ signal }).catch(() => {})
        this.accept(relay, effort)
      } catch (err) {
        stream.abort(err as Error)
        throw err
      }
    } catch {
      // Not counted (an older seed, or it failed): asked again when the tab next dials this seed.
    }
  }

  /** Record one seed's announcement and tell the listeners. */
  accept (relay: string, effort: number): void {
    this.asked.add(relay)
    this.byRelay.set(relay, effort)
    const efforts = this.efforts()
    if (efforts != null) for (const l of this.listeners) l(efforts)
  }

  /** A new connection to the seed: ask again. */
  forget (relay: string): void {
    this.asked.delete(relay)
  }

  /** The tab no longer uses this seed: its announcement no longer counts. */
  drop (relay: string): void {
    this.asked.delete(relay)
    this.byRelay.delete(relay)
  }

  /** What the seeds announced, or null before any answered. */
  efforts (): AnnouncedEfforts | null {
    const all = [...this.byRelay.values()]
    if (all.length === 0) return null
    return { publish: Math.max(...all), accept: Math.min(...all) }
  }

  /** Hear every announcement (after it is recorded). */
  subscribe (listener: (efforts: AnnouncedEfforts) => void): () => void {
    this.listeners.add(listener)
    return () => { this.listeners.delete(listener) }
  }
}
