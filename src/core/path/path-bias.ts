/**
 * Path-bias detection ("path bias lite": path-spec, Path bias detection, "A
 * simpler path-bias enforcement", as Arti does it). The threat is a guard
 * that lets through only the circuits it likes: it answers its own CREATE
 * (so nothing counts against it as a guard, guard-spec §4.8) and then kills
 * the circuit beyond itself, making the client build again and again until
 * the path suits it (path-spec: "circuit construction can be manipulated by
 * inducing circuit failures during circuit extend steps"; Borisov et al.,
 * "Denial of Service or Denial of Security?", CCS 2007).
 *
 * Per guard we count circuits built through it (successes) and circuits
 * that failed beyond it on a path this tab chose entirely at random
 * (indeterminate failures, IND_RND). A path with a hop someone else chose
 * (a rendezvous point named by a client, an introduction point named by a
 * service, an HSDir placed on the ring) is not counted either way: its
 * failures would be the other side's to cause, and counting them would let
 * anyone push our guard over the threshold (the same reason tor's
 * pathbias_should_count skips such circuits). With at least
 * {@link PATH_BIAS_MIN_OBSERVATIONS} counted, a failure share above
 * {@link PATH_BIAS_WARN_FAILURE_SHARE} flags the guard and one above
 * {@link PATH_BIAS_DISABLE_FAILURE_SHARE} disables it (the caller retires
 * it). Counts are halved at {@link PATH_BIAS_SCALE_AT} so newer circuits
 * count more.
 */
import {
  PATH_BIAS_DISABLE_FAILURE_SHARE, PATH_BIAS_MIN_OBSERVATIONS, PATH_BIAS_SCALE_AT, PATH_BIAS_WARN_FAILURE_SHARE
} from './limits.ts'

/** How a counted circuit through a guard ended. */
export type PathBiasOutcome = 'built' | 'failed-beyond-guard'

/** What the counts say about a guard: too few yet or fine, flagged, or to be disabled. */
export type PathBiasVerdict = 'ok' | 'warn' | 'disable'

export interface PathBiasCounts {
  readonly built: number
  readonly failedBeyondGuard: number
}

export interface PathBiasOptions {
  readonly minObservations?: number
  readonly warnShare?: number
  readonly disableShare?: number
  readonly scaleAt?: number
}

export class PathBias {
  private readonly counts = new Map<string, { built: number, failedBeyondGuard: number }>()
  private readonly minObservations: number
  private readonly warnShare: number
  private readonly disableShare: number
  private readonly scaleAt: number

  constructor (opts: PathBiasOptions = {}) {
    this.minObservations = opts.minObservations ?? PATH_BIAS_MIN_OBSERVATIONS
    this.warnShare = opts.warnShare ?? PATH_BIAS_WARN_FAILURE_SHARE
    this.disableShare = opts.disableShare ?? PATH_BIAS_DISABLE_FAILURE_SHARE
    this.scaleAt = opts.scaleAt ?? PATH_BIAS_SCALE_AT
    if (!(this.minObservations >= 1 && this.scaleAt > this.minObservations)) throw new RangeError('PathBias: need 1 ≤ minObservations < scaleAt')
    if (!(this.warnShare > 0 && this.warnShare <= this.disableShare && this.disableShare < 1)) throw new RangeError('PathBias: need 0 < warnShare ≤ disableShare < 1')
  }

  /** Count one circuit through `guard` and return what its counts now say. */
  record (guard: string, outcome: PathBiasOutcome): PathBiasVerdict {
    let c = this.counts.get(guard)
    if (c == null) { c = { built: 0, failedBeyondGuard: 0 }; this.counts.set(guard, c) }
    if (outcome === 'built') c.built++
    else c.failedBeyondGuard++
    const verdict = this.verdictOf(c)
    // Judged before scaling, so the circuit that crossed a line is not halved away.
    if (c.built + c.failedBeyondGuard >= this.scaleAt) {
      c.built /= 2
      c.failedBeyondGuard /= 2
    }
    return verdict
  }

  /** The counts for `guard` (zeros when none). */
  countsOf (guard: string): PathBiasCounts {
    const c = this.counts.get(guard)
    return { built: c?.built ?? 0, failedBeyondGuard: c?.failedBeyondGuard ?? 0 }
  }

  /** What the counts say about `guard` now. */
  verdict (guard: string): PathBiasVerdict {
    return this.verdictOf(this.countsOf(guard))
  }

  /** Forget a guard's counts (it was retired). */
  forget (guard: string): void {
    this.counts.delete(guard)
  }

  private verdictOf (c: PathBiasCounts): PathBiasVerdict {
    const total = c.built + c.failedBeyondGuard
    if (total < this.minObservations) return 'ok'
    const share = c.failedBeyondGuard / total
    if (share > this.disableShare) return 'disable'
    if (share > this.warnShare) return 'warn'
    return 'ok'
  }
}
