/**
 * Unbiased integer sampling from an injected {@link RandomSource} (random
 * bytes), so path and guard choice are deterministic under a seeded source and
 * use the CSPRNG in production. Rejection sampling over 48-bit draws: no
 * modulo bias, exact integer arithmetic (no floating-point weights).
 */
import type { RandomSource } from '../random.ts'

/** Largest range {@link uniformInt} serves: 2^48 (exact in a double). */
export const MAX_SAMPLE_RANGE = 2 ** 48

/** A uniform integer in [0, n); `n` an integer in [1, 2^48]. */
export function uniformInt (rng: RandomSource, n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > MAX_SAMPLE_RANGE) throw new RangeError(`uniformInt: n must be an integer in [1, 2^48], got ${n}`)
  // Accept draws below the largest multiple of n; expected draws < 2.
  const limit = MAX_SAMPLE_RANGE - (MAX_SAMPLE_RANGE % n)
  for (;;) {
    const b = rng(6)
    let v = 0
    for (let i = 0; i < 6; i++) v = v * 256 + (b[i] as number)
    if (v < limit) return v % n
  }
}

/**
 * Index `i` with probability weights[i] / sum(weights). Weights are
 * non-negative integers with a positive sum ≤ 2^48 (RangeError otherwise:
 * a programming error, the callers compute them).
 */
export function weightedIndex (rng: RandomSource, weights: readonly number[]): number {
  let total = 0
  for (const w of weights) {
    if (!Number.isInteger(w) || w < 0) throw new RangeError('weightedIndex: weights must be non-negative integers')
    total += w
  }
  if (total < 1) throw new RangeError('weightedIndex: total weight must be positive')
  let r = uniformInt(rng, total)
  for (let i = 0; i < weights.length; i++) {
    r -= weights[i] as number
    if (r < 0) return i
  }
  /* c8 ignore next */
  throw new Error('weightedIndex: unreachable')
}
