/**
 * Time and timers for the network layer, injected the way core injects its
 * Clock (core/clock.ts): the parts that decide by age (backoffs, ping misses,
 * the offline and isolated states, dial staggering) take a {@link NetTimers}
 * instead of reading globals, so a test can run them on a hand-moved clock.
 * Production passes {@link browserTimers}. What still reads the platform's
 * time directly only measures (ping.ts's round trip, bench-protocols.ts) or
 * bounds one operation (connectivity-probe.ts's gathering timeout); the
 * dialer's defaults serve its own unit tests.
 */

export interface NetTimers {
  /** Monotonic milliseconds (`performance.now()`): ages, intervals, backoffs. */
  now(): number
  /** Wall-clock milliseconds since the epoch: what libp2p stamps a connection's `timeline` with. */
  wallNow(): number
  /** Run `fn` every `ms` until the returned function is called. */
  every(ms: number, fn: () => void): () => void
  /** Run `fn` once after `ms`, unless the returned function is called first. */
  after(ms: number, fn: () => void): () => void
}

export const browserTimers: NetTimers = {
  now: () => performance.now(),
  wallNow: () => Date.now(),
  every: (ms, fn) => {
    const id = setInterval(fn, ms)
    return () => { clearInterval(id) }
  },
  after: (ms, fn) => {
    const id = setTimeout(fn, ms)
    return () => { clearTimeout(id) }
  }
}
