/**
 * What the app's WebRTC connections really are, read from the browser's own
 * statistics: an init script (a test-side hook, nothing in the app) records
 * every RTCPeerConnection a page makes, with the configuration it was made
 * with; `connections(page)` then reads each live one's selected candidate
 * pair and every remote candidate it ever heard of (getStats()).
 */
import type { Page } from '@playwright/test'

export interface CandidateView { type: string, address: string | null }

export interface ConnectionView {
  /** iceTransportPolicy and TURN usernames (`expiry:tag`) of the configuration it was made with. */
  policy: string
  usernames: string[]
  /** ms since the page's time origin when it was made. */
  createdAt: number
  state: string
  local: CandidateView | null
  remote: CandidateView | null
  /** Every remote candidate this connection learned (selected or not). */
  remoteCandidates: CandidateView[]
}

declare global {
  interface Window { netlabPcs?: Array<{ pc: RTCPeerConnection, config: RTCConfiguration, at: number }> }
}

/** Install before the page loads: `await context.addInitScript(recordPeerConnections)`. */
export function recordPeerConnections (): void {
  const Native = window.RTCPeerConnection
  const list: NonNullable<Window['netlabPcs']> = []
  window.netlabPcs = list
  class Recorded extends Native {
    constructor (config?: RTCConfiguration) {
      super(config)
      list.push({ pc: this, config: JSON.parse(JSON.stringify(config ?? {})) as RTCConfiguration, at: performance.now() })
    }
  }
  window.RTCPeerConnection = Recorded
}

/** Connections of the page that are (or were) connected, with their paths. */
export async function connections (page: Page, { connectedOnly = true } = {}): Promise<ConnectionView[]> {
  return await page.evaluate(async (connectedOnly) => {
    const out: ConnectionView[] = []
    for (const { pc, config, at } of window.netlabPcs ?? []) {
      if (connectedOnly && pc.connectionState !== 'connected') continue
      const stats = await pc.getStats()
      const byId = new Map<string, Record<string, unknown>>()
      stats.forEach((s: Record<string, unknown>) => { byId.set(String(s.id), s) })
      let pair: Record<string, unknown> | undefined
      for (const s of byId.values()) if (s.type === 'transport' && typeof s.selectedCandidatePairId === 'string') pair = byId.get(s.selectedCandidatePairId)
      const view = (s: Record<string, unknown> | undefined): CandidateView | null => s == null ? null : { type: String(s.candidateType), address: (s.address as string | undefined) ?? null }
      out.push({
        policy: config.iceTransportPolicy ?? 'all',
        usernames: (config.iceServers ?? []).map(s => s.username).filter((u): u is string => u != null),
        createdAt: at,
        state: pc.connectionState,
        local: view(pair != null ? byId.get(String(pair.localCandidateId)) : undefined),
        remote: view(pair != null ? byId.get(String(pair.remoteCandidateId)) : undefined),
        remoteCandidates: [...byId.values()].filter(s => s.type === 'remote-candidate').map(s => view(s)!)
      })
    }
    return out
  }, connectedOnly)
}
