import { describe, expect, it } from 'vitest'
import { seededRandom } from '../random.ts'
import { PATH_BIAS_MIN_OBSERVATIONS, PATH_BIAS_SCALE_AT } from './limits.ts'
import { PathBias, type PathBiasOutcome, type PathBiasVerdict } from './path-bias.ts'
import { uniformInt } from './sampling.ts'

/** `n` circuits through `guard`, each failing beyond it with probability `failPercent`/100; the verdicts in order. */
function run (bias: PathBias, guard: string, n: number, failPercent: number, seed: string): PathBiasVerdict[] {
  const rng = seededRandom(seed)
  return Array.from({ length: n }, () => {
    const outcome: PathBiasOutcome = uniformInt(rng, 100) < failPercent ? 'failed-beyond-guard' : 'built'
    return bias.record(guard, outcome)
  })
}

describe('PathBias (path-spec: path bias lite)', () => {
  it('a guard that kills 80% of its circuits after the first hop is disabled once it has been watched long enough, and not before', () => {
    const bias = new PathBias()
    const verdicts = run(bias, 'dropper', 200, 80, 'pb-dropper')
    expect(verdicts.slice(0, PATH_BIAS_MIN_OBSERVATIONS - 1).every(v => v === 'ok')).toBe(true)
    const firstDisable = verdicts.indexOf('disable')
    expect(firstDisable).toBeGreaterThanOrEqual(PATH_BIAS_MIN_OBSERVATIONS - 1)
    expect(firstDisable).toBeLessThan(3 * PATH_BIAS_MIN_OBSERVATIONS)
  })

  it('an honest guard whose circuits fail beyond it 25% of the time (closed tabs) is never disabled and seldom flagged', () => {
    let flagged = 0
    for (let s = 0; s < 200; s++) {
      const verdicts = run(new PathBias(), 'honest', 300, 25, `pb-honest-${s}`)
      expect(verdicts).not.toContain('disable')
      if (verdicts.includes('warn')) flagged++
    }
    // Measured 23 sessions in 1,000 flagged at some point (15 circuits is a small sample, path-spec's MIN_OBSERVATIONS).
    expect(flagged).toBeLessThanOrEqual(10)
  })

  it('an honest guard with 10% failures beyond it is almost never even flagged', () => {
    let flagged = 0
    for (let s = 0; s < 1000; s++) {
      const verdicts = run(new PathBias(), 'honest', 300, 10, `pb-quiet-${s}`)
      expect(verdicts).not.toContain('disable')
      if (verdicts.includes('warn')) flagged++
    }
    expect(flagged).toBeLessThanOrEqual(3) // measured: 1 in 1,000 (8 of its first 15 failed)
  })

  it('a guard between the lines is flagged, not disabled', () => {
    const bias = new PathBias()
    const verdicts = run(bias, 'shaky', 300, 60, 'pb-shaky')
    expect(verdicts).toContain('warn')
    expect(verdicts).not.toContain('disable')
  })

  it('counts each guard apart, and halves its counts so that newer circuits weigh more', () => {
    const bias = new PathBias()
    for (let i = 0; i < PATH_BIAS_SCALE_AT - 1; i++) bias.record('a', 'built')
    expect(bias.countsOf('a')).toEqual({ built: PATH_BIAS_SCALE_AT - 1, failedBeyondGuard: 0 })
    expect(bias.countsOf('b')).toEqual({ built: 0, failedBeyondGuard: 0 })
    bias.record('a', 'failed-beyond-guard')
    expect(bias.countsOf('a')).toEqual({ built: (PATH_BIAS_SCALE_AT - 1) / 2, failedBeyondGuard: 0.5 })
    // A guard that was good for long and then turns bad is still caught.
    const turned = run(bias, 'a', 100, 100, 'pb-turned')
    expect(turned).toContain('disable')
    bias.forget('a')
    expect(bias.verdict('a')).toBe('ok')
  })

  it('refuses thresholds that make no sense', () => {
    expect(() => new PathBias({ warnShare: 0.8, disableShare: 0.7 })).toThrow(RangeError)
    expect(() => new PathBias({ minObservations: 100, scaleAt: 50 })).toThrow(RangeError)
  })
})
