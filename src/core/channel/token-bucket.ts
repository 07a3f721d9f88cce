/**
 * A token bucket: tokens accrue at `ratePerSecond` up to `burst`; an action
 * costing n tokens proceeds only if n are available. Used per neighbour for
 * CREATE cells (circuit-creation rate) and per tab for relayed bytes. Time
 * comes from an injected {@link Clock}; a clock that steps backwards adds no
 * tokens (and takes none away) until it passes its previous reading again.
 * Tokens are fractional internally, so slow rates refill smoothly.
 */
import type { Clock } from '../clock.ts'

export interface TokenBucketOptions {
  /** Tokens added per second (≥ 0). */
  readonly ratePerSecond: number
  /** Most tokens the bucket holds (> 0): the largest burst allowed. */
  readonly burst: number
  readonly clock: Clock
  /** Tokens at creation (default: `burst`, a full bucket). */
  readonly initial?: number
}

export class TokenBucket {
  readonly ratePerSecond: number
  readonly burst: number
  private readonly clock: Clock
  private tokens: number
  private last: number

  constructor (opts: TokenBucketOptions) {
    if (!Number.isFinite(opts.ratePerSecond) || opts.ratePerSecond < 0) throw new RangeError('TokenBucket: ratePerSecond must be finite and ≥ 0')
    if (!Number.isFinite(opts.burst) || opts.burst <= 0) throw new RangeError('TokenBucket: burst must be finite and > 0')
    const initial = opts.initial ?? opts.burst
    if (!Number.isFinite(initial) || initial < 0 || initial > opts.burst) throw new RangeError('TokenBucket: initial must be in [0, burst]')
    this.ratePerSecond = opts.ratePerSecond
    this.burst = opts.burst
    this.clock = opts.clock
    this.tokens = initial
    this.last = opts.clock.now()
  }

  private refill (): void {
    const now = this.clock.now()
    if (now <= this.last) return // no time passed, or the clock stepped back
    this.tokens = Math.min(this.burst, this.tokens + (now - this.last) * this.ratePerSecond / 1000)
    this.last = now
  }

  /** Tokens available now (fractional). */
  available (): number {
    this.refill()
    return this.tokens
  }

  /** Take `n` tokens if available; false (and nothing taken) otherwise. */
  tryTake (n = 1): boolean {
    if (!Number.isFinite(n) || n < 0) throw new RangeError('TokenBucket: n must be finite and ≥ 0')
    this.refill()
    if (this.tokens < n) return false
    this.tokens -= n
    return true
  }

  /** Milliseconds until `n` tokens will be available (0 if now; Infinity if never: n > burst, or rate 0). */
  msUntil (n = 1): number {
    this.refill()
    if (this.tokens >= n) return 0
    if (n > this.burst || this.ratePerSecond === 0) return Infinity
    return Math.ceil((n - this.tokens) * 1000 / this.ratePerSecond)
  }
}

/**
 * One token bucket per neighbour, made full on first use. A neighbour's
 * budget outlives its channel (closing and reopening it must not refill the
 * bucket): {@link BucketsByPeer.sweep} forgets a bucket only once its peer is
 * gone and the bucket is full again.
 */
export class BucketsByPeer {
  private readonly buckets = new Map<string, TokenBucket>()

  constructor (private readonly opts: { ratePerSecond: number, burst: number, clock: Clock }) {}

  /** `peer`'s bucket. */
  of (peer: string): TokenBucket {
    let bucket = this.buckets.get(peer)
    if (bucket == null) {
      bucket = new TokenBucket(this.opts)
      this.buckets.set(peer, bucket)
    }
    return bucket
  }

  sweep (hasLink: (peer: string) => boolean): void {
    for (const [p, b] of this.buckets) if (!hasLink(p) && b.available() >= b.burst) this.buckets.delete(p)
  }
}
