/**
 * Time is injected, never read from a global: every core module that needs
 * "now" takes a {@link Clock}. Production passes {@link systemClock} (the only
 * place in `src/core` that reads `Date.now()`); tests and the seeded
 * simulation pass a {@link ManualClock} and move time by hand, so expiry,
 * EWMA decay and token-bucket refill are reproducible.
 *
 * Times are milliseconds since the Unix epoch (wall clock), because relay
 * descriptors carry absolute `published`/`expires` times that must compare
 * across tabs. Consumers that only measure intervals (token buckets, EWMA)
 * must tolerate the clock stepping backwards (NTP adjustments) — they treat a
 * negative interval as zero.
 */

/** A source of the current time in milliseconds since the Unix epoch. */
export interface Clock {
  now(): number
}

/** The platform wall clock. The single `Date.now()` in core. */
export const systemClock: Clock = { now: () => Date.now() }

/** A clock that only moves when told to: for tests and simulations. */
export class ManualClock implements Clock {
  private t: number

  constructor (start = 0) {
    if (!Number.isFinite(start)) throw new RangeError('ManualClock: start must be finite')
    this.t = start
  }

  now (): number { return this.t }

  /** Move forward (or, with a negative argument, backward) by `ms`. */
  advance (ms: number): void {
    if (!Number.isFinite(ms)) throw new RangeError('ManualClock: advance must be finite')
    this.t += ms
  }

  /** Jump to an absolute time. */
  set (ms: number): void {
    if (!Number.isFinite(ms)) throw new RangeError('ManualClock: set must be finite')
    this.t = ms
  }
}
