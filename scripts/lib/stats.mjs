// The one percentile of the scripts' figures (bench, bench:net, relay load,
// measure:join), so every median and tail in a table means the same thing.

/**
 * The p-quantile of `xs` (0 ≤ p ≤ 1) as one of its values, nearest rank from
 * below: the sorted value at index ⌊p·(n−1)⌋ (p = 0.5: the median, the lower
 * middle one for an even count; p = 1: the largest). Null for no values.
 * @param {readonly number[]} xs
 * @param {number} p
 * @returns {number | null}
 */
export function percentile (xs, p) {
  if (xs.length === 0) return null
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(p * (s.length - 1)))]
}

/**
 * Median, 95th percentile and count, the columns of the bench tables.
 * @param {readonly number[]} xs
 * @returns {{ p50: number | null, p95: number | null, n: number }}
 */
export function stats (xs) {
  return { p50: percentile(xs, 0.5), p95: percentile(xs, 0.95), n: xs.length }
}
