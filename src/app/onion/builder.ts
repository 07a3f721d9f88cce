/**
 * Building a circuit with retries, and what a failure teaches. Up to
 * {@link BUILD_ATTEMPTS} builds, each over a path that avoids the hops that
 * failed before (a tab that closed stays in directories until its descriptor
 * expires); a failure at a fixed last hop (the destination) is final.
 *
 * A failure is put down to the hop the router reports as 'failed'. That hop
 * is noted by path policy (gone, or only slow); when it is the entry guard,
 * the failure counts against the guard only once it is clear it was not
 * ours: the tab was still online {@link GUARD_FAILURE_SETTLE_MS} later. An
 * outage makes every build fail, and counting those would retire good guards
 * and walk the tab to new ones — exactly what an adversary who can cut a
 * tab's connection briefly would want (guard-spec §4.8: failures that are not
 * the guard's own don't count). While offline nothing is the relays' fault.
 *
 * Time is injected (a monotonic {@link Clock}) so the settle rule can be
 * tested with a fake clock; the caller runs {@link CircuitBuilder.settleGuardFailures}
 * every GUARD_FAILURE_CHECK_MS (constants.ts).
 */
import type { BuildOptions, BuildProgress, ClientCircuit, RelayInfo } from '../../core/circuit/router.ts'
import type { Clock } from '../../core/clock.ts'
import { BUILD_ATTEMPTS, GUARD_FAILURE_SETTLE_MS } from './constants.ts'

/** What the builder needs of the relay directory's guard set (app/relay-directory.ts). */
export interface GuardReports {
  reportSuccess(peerId: string): void
  reportFailure(peerId: string): void
}

/** What the builder needs of path policy (path-policy.ts). */
export interface FailurePolicy {
  noteFailure(peerId: string, err: unknown): void
  prepareNextPath(): void
}

export interface CircuitBuilderOptions {
  /** One build through `path` (OnionRouter.buildCircuit). */
  build(path: readonly RelayInfo[], onProgress: (p: BuildProgress) => void, opts: BuildOptions): Promise<ClientCircuit>
  /** The relay directory's guard reports, or null before the onion layer has started. */
  guards(): GuardReports | null
  policy: FailurePolicy
  /** Whether the tab is offline now (the network's phase). */
  isOffline(): boolean
  /** Monotonic clock (performance.now in the app). */
  clock: Clock
}

export interface RetryOptions {
  /** The last hop is the destination, given by the caller: its failure is final. */
  fixedLast: boolean
  /** The last hop may be this tab (BuildOptions.lastHopMayBeSelf). */
  lastHopMayBeSelf: boolean
}

export class CircuitBuilder {
  /** Guard failures waiting to be counted ({@link settleGuardFailures}). */
  private readonly pendingGuardFailures: Array<{ peerId: string, at: number }> = []

  constructor (private readonly opts: CircuitBuilderOptions) {}

  /**
   * Up to {@link BUILD_ATTEMPTS} builds over paths from `choose`, each avoiding
   * the hops that failed before; a failure at a fixed last hop (the
   * destination) is final. Guards and unreachable relays learn from each failure.
   */
  async buildWithRetries (
    choose: (avoid: readonly string[]) => RelayInfo[], onProgress: ((p: BuildProgress) => void) | undefined,
    { fixedLast, lastHopMayBeSelf }: RetryOptions
  ): Promise<ClientCircuit> {
    const avoid: string[] = []
    let lastError: unknown = null
    for (let attempt = 0; attempt < BUILD_ATTEMPTS; attempt++) {
      const chosen = choose(avoid)
      // The hop a failure is put down to: the router reports it as 'failed'
      // (all hops report 'extending' at once in a pipelined build).
      let hop = 0
      try {
        const circuit = await this.opts.build(chosen, (p) => { if (p.state === 'failed') hop = p.hop; onProgress?.(p) }, { lastHopMayBeSelf })
        this.opts.guards()!.reportSuccess(chosen[0]!.peerId)
        if (!fixedLast) this.opts.policy.prepareNextPath()
        return circuit
      } catch (err) {
        lastError = err
        // While offline, nothing is the relays' fault.
        const offline = this.opts.isOffline()
        if (hop === 0 && !offline) this.pendingGuardFailures.push({ peerId: chosen[0]!.peerId, at: this.opts.clock.now() })
        if (!offline) this.opts.policy.noteFailure(chosen[hop]!.peerId, err)
        if (fixedLast && hop === chosen.length - 1) throw err // the destination itself failed
        avoid.push(chosen[hop]!.peerId)
      }
    }
    throw lastError
  }

  /**
   * Count the guard failures that have waited {@link GUARD_FAILURE_SETTLE_MS},
   * unless the tab is offline now (then they were ours, and are dropped).
   */
  settleGuardFailures (): void {
    const now = this.opts.clock.now()
    while (this.pendingGuardFailures.length > 0 && now - this.pendingGuardFailures[0]!.at >= GUARD_FAILURE_SETTLE_MS) {
      const { peerId } = this.pendingGuardFailures.shift()!
      if (!this.opts.isOffline()) this.opts.guards()?.reportFailure(peerId)
    }
  }

  /** Back from an outage: the failures waiting to be counted were ours. */
  forgetPendingGuardFailures (): void {
    this.pendingGuardFailures.length = 0
  }
}
