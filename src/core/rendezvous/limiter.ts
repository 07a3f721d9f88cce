/**
 * How much rendezvous work a service does for introductions it did not ask
 * for (docs/RENDEZVOUS.md §6). Every valid INTRODUCE2 makes the service build a
 * circuit to a rendezvous point the client chose; anyone holding the invite
 * can produce valid INTRODUCEs (a fresh identity key and ephemeral each time
 * passes the signature and replay checks), so without a bound a flood makes
 * the tab build circuits to attacker-chosen relays without end. Tor bounds the
 * same work with its INTRODUCE2 rate limit and the service's
 * "max pending rendezvous" (rend-spec-v3 §3.3; dos-spec). Pure: time is
 * injected.
 */

/** Rendezvous circuits a service builds at once (RENDEZVOUS1 not yet sent); introductions beyond are dropped. */
export const MAX_CONCURRENT_RENDEZVOUS = 4
/** Rendezvous circuits a service starts per minute (sliding window); introductions beyond are dropped. */
export const MAX_RENDEZVOUS_PER_MINUTE = 30
const MINUTE_MS = 60_000

export class RendezvousLimiter {
  private readonly now: () => number
  private readonly maxConcurrent: number
  private readonly perMinute: number
  /** Start times within the last minute, oldest first (at most perMinute entries). */
  private readonly starts: number[] = []
  private running = 0

  constructor (opts: { now: () => number, maxConcurrent?: number, perMinute?: number }) {
    this.now = opts.now
    this.maxConcurrent = opts.maxConcurrent ?? MAX_CONCURRENT_RENDEZVOUS
    this.perMinute = opts.perMinute ?? MAX_RENDEZVOUS_PER_MINUTE
    if (!Number.isInteger(this.maxConcurrent) || this.maxConcurrent < 1) throw new RangeError('maxConcurrent must be a positive integer')
    if (!Number.isInteger(this.perMinute) || this.perMinute < 1) throw new RangeError('perMinute must be a positive integer')
  }

  /** Rendezvous builds in progress. */
  get active (): number { return this.running }

  /**
   * Start one rendezvous build if both limits allow: returns the function that
   * ends it (idempotent), or null when the build must not happen.
   */
  tryStart (): (() => void) | null {
    const now = this.now()
    while (this.starts.length > 0 && now - this.starts[0]! >= MINUTE_MS) this.starts.shift()
    if (this.running >= this.maxConcurrent || this.starts.length >= this.perMinute) return null
    this.starts.push(now)
    this.running++
    let done = false
    return () => {
      if (done) return
      done = true
      this.running--
    }
  }
}
