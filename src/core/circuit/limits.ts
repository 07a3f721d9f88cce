/**
 * Every limit of the onion router, named and documented. A tab relays for
 * others only within these bounds, and drops relay work before it hurts its
 * own user (DESIGN.md §4 "Relay duty").
 */
export interface RouterLimits {
  /** Most circuits this tab relays for others at once; CREATE beyond → DESTROY(RESOURCELIMIT). */
  maxRelayCircuits: number
  /** Most circuits this tab has open as a client. */
  maxClientCircuits: number
  /** CREATE cells accepted per neighbour per second (token-bucket rate)… */
  createRatePerSecond: number
  /** …and the burst allowed above that rate. */
  createBurst: number
  /** A relayed circuit with no cell for this long is torn down (DESTROY FINISHED). */
  idleCircuitMs: number
  /** A circuit build (all hops) that takes longer fails with a timeout. */
  buildTimeoutMs: number
  /** Circuit-level flow control (tor-spec §7.3): cells one side may send before a SENDME… */
  circuitWindow: number
  /** …and how many delivered cells each SENDME acknowledges (tor-spec §7.4). */
  sendmeIncrement: number
  /** Bytes a client may have queued waiting for window on one circuit. */
  maxClientQueueCells: number
}

export const DEFAULT_ROUTER_LIMITS: RouterLimits = {
  maxRelayCircuits: 512,
  maxClientCircuits: 64,
  createRatePerSecond: 20,
  createBurst: 60,
  idleCircuitMs: 10 * 60_000,
  buildTimeoutMs: 30_000,
  circuitWindow: 1000,
  sendmeIncrement: 100,
  maxClientQueueCells: 4096
}

/** A token bucket (rate per second, burst), on an injected clock in ms. */
export class TokenBucket {
  private tokens: number
  private last: number
  constructor (private readonly ratePerSecond: number, private readonly burst: number, now: number) {
    this.tokens = burst
    this.last = now
  }

  take (now: number, n = 1): boolean {
    this.tokens = Math.min(this.burst, this.tokens + (now - this.last) * this.ratePerSecond / 1000)
    this.last = now
    if (this.tokens < n) return false
    this.tokens -= n
    return true
  }
}
