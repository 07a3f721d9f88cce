/**
 * Exponential backoff with jitter, per key (a bootstrap address or a peer id).
 * Pure bookkeeping: the caller asks `ready(key, now)` before dialing and reports
 * `failure`/`success`.
 */
export class Backoff {
  private readonly state = new Map<string, { failures: number, next: number }>()

  constructor (private readonly baseMs: number, private readonly maxMs: number, private readonly random: () => number = Math.random) {}

  ready (key: string, now: number): boolean {
    const s = this.state.get(key)
    return s == null || now >= s.next
  }

  failure (key: string, now: number): number {
    const failures = (this.state.get(key)?.failures ?? 0) + 1
    const delay = Math.min(this.maxMs, this.baseMs * 2 ** (failures - 1))
    // ±25 % jitter so tabs that lost the same relay do not all come back in step.
    const jittered = delay * (0.75 + this.random() * 0.5)
    this.state.set(key, { failures, next: now + jittered })
    return jittered
  }

  success (key: string): void {
    this.state.delete(key)
  }

  failures (key: string): number {
    return this.state.get(key)?.failures ?? 0
  }
}
