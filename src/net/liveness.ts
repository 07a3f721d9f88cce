/**
 * Is this tab still on the network? Decided from answers, not from sockets.
 *
 * When a home's uplink is cut (Wi-Fi gone, a router down, a phone's radio
 * off), nothing closes: the WebSocket to the bootstrap relay and the WebRTC
 * connections stay "open" for tens of seconds (TCP and ICE consent give up
 * late), and `navigator.onLine` often stays true. What stops is answers. So
 * the tab pings everything it is connected to every few seconds (network.ts)
 * and reports each result here; no answer from anyone for
 * {@link OFFLINE_AFTER_MS} while pings were tried means offline. The first
 * answer afterwards means back online, and the caller rejoins at once.
 *
 * Pure bookkeeping with an injected clock.
 */
import { OFFLINE_AFTER_MS } from './constants.ts'

export class Liveness {
  private lastAnswerAt: number
  private lastTryAt = -Infinity
  private offline = false

  constructor (private readonly now: () => number, private readonly offlineAfterMs = OFFLINE_AFTER_MS) {
    this.lastAnswerAt = now()
  }

  /** A ping (or any request) went out over some connection. */
  tried (): void {
    this.lastTryAt = this.now()
  }

  /** Something answered. Returns true when this ends an offline spell. */
  answered (): boolean {
    this.lastAnswerAt = this.now()
    const wasOffline = this.offline
    this.offline = false
    return wasOffline
  }

  /**
   * Re-evaluate. `hasConnections`: whether the tab holds any connection to
   * ping at all (with none, being offline is decided by failing dials instead).
   * Returns true when this starts an offline spell.
   */
  check (hasConnections: boolean): boolean {
    if (this.offline || !hasConnections) return false
    const now = this.now()
    // Offline only if pings were tried recently and none has answered for long.
    if (now - this.lastAnswerAt >= this.offlineAfterMs && this.lastTryAt > this.lastAnswerAt) {
      this.offline = true
      return true
    }
    return false
  }

  /** Declare offline from outside (the browser said so, or every dial failed after being online). */
  markOffline (): boolean {
    if (this.offline) return false
    this.offline = true
    return true
  }

  get isOffline (): boolean {
    return this.offline
  }

  /** When anything last answered (epoch of the injected clock). */
  get lastAnswer (): number {
    return this.lastAnswerAt
  }
}
