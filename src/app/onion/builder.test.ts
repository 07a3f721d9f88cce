import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { ManualClock } from '../../core/clock.ts'
import type { BuildOptions, BuildProgress, ClientCircuit, RelayInfo } from '../../core/circuit/router.ts'
import { CircuitLimitError, CircuitTimeoutError } from '../../core/circuit/errors.ts'
import type { PathBiasOutcome } from '../../core/path/index.ts'
import { CircuitBuilder } from './builder.ts'
import { BUILD_ATTEMPTS, GUARD_FAILURE_SETTLE_MS } from './constants.ts'

const relay = (peerId: string): RelayInfo => ({ peerId, nodeId: new Uint8Array(20), onionKey: new Uint8Array(32) })
const RELAYS = Array.from({ length: 12 }, (_, i) => relay(`r${i}`))
/** The first `hops` relays not avoided: deterministic, so tests can name who was chosen. */
const chooser = (hops = 3) => (avoid: readonly string[]): RelayInfo[] => RELAYS.filter(r => !avoid.includes(r.peerId)).slice(0, hops)

/** An attempt's outcome: success, or failure put down to `hop` (null: the router reported no hop). */
type Outcome = 'ok' | { hop: number | null, err?: unknown }

function setup (outcomes: Outcome[]) {
  const clock = new ManualClock(1_000)
  const log = { built: [] as string[][], opts: [] as BuildOptions[], success: [] as string[], failure: [] as string[], pathBias: [] as Array<[string, PathBiasOutcome]>, noted: [] as Array<[string, unknown]>, prepared: 0 }
  let offline = false
  const circuit = { id: 'circuit' } as unknown as ClientCircuit
  const builder = new CircuitBuilder({
    build: async (path, onProgress, opts) => {
      log.built.push(path.map(r => r.peerId))
      log.opts.push(opts)
      const outcome = outcomes.shift() ?? 'ok'
      if (outcome === 'ok') return circuit
      if (outcome.hop != null) onProgress({ hop: outcome.hop, state: 'failed' })
      throw outcome.err ?? new CircuitTimeoutError('no answer')
    },
    guards: () => ({ reportSuccess: (p) => { log.success.push(p) }, reportFailure: (p) => { log.failure.push(p) }, reportPathBias: (g, o) => { log.pathBias.push([g, o]) } }),
    policy: { noteFailure: (p, err) => { log.noted.push([p, err]) }, prepareNextPath: () => { log.prepared++ } },
    isOffline: () => offline,
    clock
  })
  return { builder, clock, log, circuit, setOffline: (v: boolean) => { offline = v } }
}

describe('CircuitBuilder.buildWithRetries', () => {
  it('a first build that works: the guard is credited and the next path is chosen ahead', async () => {
    const { builder, log, circuit } = setup(['ok'])
    await expect(builder.buildWithRetries(chooser(), undefined, { fixedLast: false, lastHopMayBeSelf: false, countsForPathBias: false })).resolves.toBe(circuit)
    expect(log.built).toEqual([['r0', 'r1', 'r2']])
    expect(log.success).toEqual(['r0'])
    expect(log.prepared).toBe(1)
  })

  it('a build to a fixed destination does not choose a path ahead, and passes lastHopMayBeSelf on', async () => {
    const { builder, log } = setup(['ok'])
    await builder.buildWithRetries(chooser(), undefined, { fixedLast: true, lastHopMayBeSelf: true, countsForPathBias: false })
    expect(log.prepared).toBe(0)
    expect(log.opts).toEqual([{ lastHopMayBeSelf: true }])
  })

  it(`gives up after ${BUILD_ATTEMPTS} tries with the last error, each try avoiding the hops that failed before`, async () => {
    const last = new Error('third')
    const { builder, log } = setup([{ hop: 1 }, { hop: 2 }, { hop: 1, err: last }])
    await expect(builder.buildWithRetries(chooser(), undefined, { fixedLast: false, lastHopMayBeSelf: false, countsForPathBias: false })).rejects.toBe(last)
    expect(log.built).toEqual([['r0', 'r1', 'r2'], ['r0', 'r2', 'r3'], ['r0', 'r2', 'r4']])
    expect(log.noted.map(([p]) => p)).toEqual(['r1', 'r3', 'r2'])
    expect(log.success).toEqual([])
  })

  it('a failure at the fixed last hop (the destination) is final', async () => {
    const err = new Error('destination')
    const { builder, log } = setup([{ hop: 2, err }])
    const withTarget = (avoid: readonly string[]): RelayInfo[] => [...chooser(2)(avoid), relay('target')]
    await expect(builder.buildWithRetries(withTarget, undefined, { fixedLast: true, lastHopMayBeSelf: false, countsForPathBias: false })).rejects.toBe(err)
    expect(log.built).toHaveLength(1)
    expect(log.noted).toEqual([['target', err]])
  })

  it('a failure before the destination is retried around the hop that failed', async () => {
    const { builder, log } = setup([{ hop: 1 }, 'ok'])
    const withTarget = (avoid: readonly string[]): RelayInfo[] => [...chooser(2)(avoid), relay('target')]
    await builder.buildWithRetries(withTarget, undefined, { fixedLast: true, lastHopMayBeSelf: false, countsForPathBias: false })
    expect(log.built).toEqual([['r0', 'r1', 'target'], ['r0', 'r2', 'target']])
  })

  it('chooses no ordinary path ahead when asked not to (an onion-service circuit with a random last hop)', async () => {
    const { builder, log } = setup(['ok'])
    await builder.buildWithRetries(chooser(), undefined, { fixedLast: false, lastHopMayBeSelf: false, countsForPathBias: true, prepareNextPath: false })
    expect(log.prepared).toBe(0)
  })

  it('passes every progress report on to the caller', async () => {
    const { builder } = setup([{ hop: 0 }, 'ok'])
    const seen: BuildProgress[] = []
    await builder.buildWithRetries(chooser(), (p) => { seen.push(p) }, { fixedLast: false, lastHopMayBeSelf: false, countsForPathBias: false })
    expect(seen).toEqual([{ hop: 0, state: 'failed' }])
  })

  it('while offline, a failure is nobody\'s fault: nothing noted, no guard failure pending', async () => {
    const { builder, log, clock, setOffline } = setup([{ hop: 0 }, { hop: 1 }, { hop: 0 }])
    setOffline(true)
    await expect(builder.buildWithRetries(chooser(), undefined, { fixedLast: false, lastHopMayBeSelf: false, countsForPathBias: false })).rejects.toBeDefined()
    expect(log.noted).toEqual([])
    setOffline(false)
    clock.advance(GUARD_FAILURE_SETTLE_MS)
    builder.settleGuardFailures()
    expect(log.failure).toEqual([])
  })
})

describe('CircuitBuilder guard failures (guard-spec §4.8)', () => {
  it(`count against the guard only after ${GUARD_FAILURE_SETTLE_MS} ms, and only if the tab is still online`, async () => {
    const { builder, log, clock } = setup([{ hop: 0 }, 'ok'])
    await builder.buildWithRetries(chooser(), undefined, { fixedLast: false, lastHopMayBeSelf: false, countsForPathBias: false })
    builder.settleGuardFailures()
    expect(log.failure).toEqual([])
    clock.advance(GUARD_FAILURE_SETTLE_MS - 1)
    builder.settleGuardFailures()
    expect(log.failure).toEqual([])
    clock.advance(1)
    builder.settleGuardFailures()
    expect(log.failure).toEqual(['r0'])
    clock.advance(GUARD_FAILURE_SETTLE_MS)
    builder.settleGuardFailures()
    expect(log.failure).toEqual(['r0']) // counted once
  })

  it('are dropped when the tab is offline once they have settled: the outage was ours', async () => {
    const { builder, log, clock, setOffline } = setup([{ hop: 0 }, 'ok'])
    await builder.buildWithRetries(chooser(), undefined, { fixedLast: false, lastHopMayBeSelf: false, countsForPathBias: false })
    clock.advance(GUARD_FAILURE_SETTLE_MS)
    setOffline(true)
    builder.settleGuardFailures()
    setOffline(false)
    builder.settleGuardFailures()
    expect(log.failure).toEqual([])
  })

  it('are forgotten on rejoin', async () => {
    const { builder, log, clock } = setup([{ hop: 0 }, 'ok'])
    await builder.buildWithRetries(chooser(), undefined, { fixedLast: false, lastHopMayBeSelf: false, countsForPathBias: false })
    builder.forgetPendingGuardFailures()
    clock.advance(GUARD_FAILURE_SETTLE_MS)
    builder.settleGuardFailures()
    expect(log.failure).toEqual([])
  })

  it('a failure past the guard never counts against it', async () => {
    const { builder, log, clock } = setup([{ hop: 1 }, { hop: 2 }, 'ok'])
    await builder.buildWithRetries(chooser(), undefined, { fixedLast: false, lastHopMayBeSelf: false, countsForPathBias: false })
    clock.advance(GUARD_FAILURE_SETTLE_MS)
    builder.settleGuardFailures()
    expect(log.failure).toEqual([])
    expect(log.success).toEqual(['r0'])
  })

  it('any run of failures: attempts, avoidance and guard counting follow the rules', async () => {
    const outcome = fc.oneof(fc.constant<Outcome>('ok'), fc.integer({ min: 0, max: 2 }).map<Outcome>(hop => ({ hop })))
    await fc.assert(fc.asyncProperty(fc.array(outcome, { minLength: BUILD_ATTEMPTS, maxLength: BUILD_ATTEMPTS }), async (outcomes) => {
      const { builder, log, clock } = setup([...outcomes])
      const firstOk = outcomes.indexOf('ok')
      const attempts = firstOk === -1 ? BUILD_ATTEMPTS : firstOk + 1
      const result = builder.buildWithRetries(chooser(), undefined, { fixedLast: false, lastHopMayBeSelf: false, countsForPathBias: false })
      if (firstOk === -1) await expect(result).rejects.toBeDefined()
      else await result
      expect(log.built).toHaveLength(attempts)
      const failed = outcomes.slice(0, attempts).filter((o): o is { hop: number } => o !== 'ok')
      // Each try avoids every hop that failed before it.
      const blamed = failed.map((o, i) => log.built[i]![o.hop]!)
      log.built.forEach((path, i) => { for (const gone of blamed.slice(0, i)) expect(path).not.toContain(gone) })
      expect(log.noted.map(([p]) => p)).toEqual(blamed)
      clock.advance(GUARD_FAILURE_SETTLE_MS)
      builder.settleGuardFailures()
      expect(log.failure).toEqual(failed.flatMap((o, i) => (o.hop === 0 ? [log.built[i]![0]!] : [])))
      expect(log.success).toEqual(firstOk === -1 ? [] : [log.built[firstOk]![0]!])
    }), { numRuns: 100 })
  })
})

describe('CircuitBuilder: what is not the guard\'s fault', () => {
  it('a failure the router puts down to no hop (a client-circuit limit of ours) never counts against the guard and is not retried', async () => {
    // An attacker who can keep our builds failing before any hop answers
    // (too many circuits in flight) must not walk us off our guard.
    const err = new CircuitLimitError('too many client circuits')
    const { builder, log, clock } = setup([{ hop: null, err }, { hop: null, err }, { hop: null, err }])
    for (let i = 0; i < 3; i++) await expect(builder.buildWithRetries(chooser(), undefined, { fixedLast: true, lastHopMayBeSelf: true, countsForPathBias: false })).rejects.toBe(err)
    clock.advance(GUARD_FAILURE_SETTLE_MS)
    builder.settleGuardFailures()
    expect(log.failure).toEqual([])
    expect(log.noted).toEqual([])
    expect(log.built).toHaveLength(3) // one build per call: another path would not help
  })
})

describe('CircuitBuilder path-bias reports (path-spec, path bias)', () => {
  const randomPath = { fixedLast: false, lastHopMayBeSelf: false, countsForPathBias: true }

  it('a circuit we chose entirely is counted: built at once, failed beyond the guard once settled', async () => {
    const { builder, log, clock } = setup([{ hop: 2 }, { hop: 1 }, 'ok'])
    await builder.buildWithRetries(chooser(), undefined, randomPath)
    expect(log.pathBias).toEqual([['r0', 'built']])
    clock.advance(GUARD_FAILURE_SETTLE_MS)
    builder.settleGuardFailures()
    expect(log.pathBias).toEqual([['r0', 'built'], ['r0', 'failed-beyond-guard'], ['r0', 'failed-beyond-guard']])
    expect(log.failure).toEqual([]) // and none of it is a guard failure
  })

  it('a guard\'s own failure is a guard failure, not a path-bias one', async () => {
    const { builder, log, clock } = setup([{ hop: 0 }, 'ok'])
    await builder.buildWithRetries(chooser(), undefined, randomPath)
    clock.advance(GUARD_FAILURE_SETTLE_MS)
    builder.settleGuardFailures()
    expect(log.failure).toEqual(['r0'])
    expect(log.pathBias).toEqual([['r1', 'built']])
  })

  it('a circuit to an endpoint someone else named is not counted either way', async () => {
    const { builder, log, clock } = setup([{ hop: 1 }, 'ok'])
    await builder.buildWithRetries(chooser(), undefined, { fixedLast: true, lastHopMayBeSelf: true, countsForPathBias: false })
    clock.advance(GUARD_FAILURE_SETTLE_MS)
    builder.settleGuardFailures()
    expect(log.pathBias).toEqual([])
  })

  it('failures beyond the guard while the tab goes offline are dropped, like guard failures', async () => {
    const { builder, log, clock, setOffline } = setup([{ hop: 1 }, 'ok'])
    await builder.buildWithRetries(chooser(), undefined, randomPath)
    clock.advance(GUARD_FAILURE_SETTLE_MS)
    setOffline(true)
    builder.settleGuardFailures()
    expect(log.pathBias).toEqual([['r0', 'built']])
  })
})
