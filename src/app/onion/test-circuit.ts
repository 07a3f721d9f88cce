/**
 * "Test circuit", the button in the UI: build a fresh 3-hop circuit through a
 * chosen path (no retries: the point is to show how a build goes), show each
 * hop's progress, then time an echo through it and check it came back the
 * same. What it shows is for a person: short peer ids and plain-language
 * errors, never keys, payloads or full error messages (which could name
 * peers or carry stack traces).
 *
 * Time and randomness are injected so it can be tested without a network.
 */
import type { BuildProgress, HopState, RelayInfo } from '../../core/circuit/router.ts'
import type { Clock } from '../../core/clock.ts'
import { isProtocolError } from '../../core/errors.ts'
import type { RandomSource } from '../../core/random.ts'
import { isChannelUnavailableError } from '../../net/channels.ts'
import { shortPeerId } from '../../net/network.ts'
import { CIRCUIT_HOPS, TEST_ECHO_BYTES } from './constants.ts'

export interface TestCircuitState {
  readonly phase: 'building' | 'measuring' | 'done' | 'failed'
  readonly hops: ReadonlyArray<{ readonly shortId: string | null, readonly peerId: string | null, readonly state: HopState }>
  readonly buildMs: number | null
  readonly rttMs: number | null
  readonly error: string | null
}

/** The circuit the test builds: it is echoed through, then torn down. */
export interface EchoCircuit {
  echo(data: Uint8Array): Promise<Uint8Array>
  destroy(): void
}

export interface TestCircuitDeps {
  /** Start the onion layer (once). */
  start(): Promise<void>
  /** A full-length path (PathPolicy.choosePath). */
  choosePath(): RelayInfo[]
  /** One build through `path` (OnionRouter.buildCircuit). */
  build(path: readonly RelayInfo[], onProgress: (p: BuildProgress) => void): Promise<EchoCircuit>
  /** Choose the next path ahead (PathPolicy.prepareNextPath). */
  prepareNextPath(): void
  /** Show the test's state (the UI's snapshot). */
  show(state: TestCircuitState): void
  /** Monotonic clock (performance.now in the app). */
  clock: Clock
  random: RandomSource
}

/** Build a fresh 3-hop circuit and time an echo through it, showing each step. */
export async function runTestCircuit (deps: TestCircuitDeps): Promise<TestCircuitState> {
  const set = (next: TestCircuitState): TestCircuitState => { deps.show(next); return next }
  let state: TestCircuitState = { phase: 'building', hops: Array.from({ length: CIRCUIT_HOPS }, () => ({ shortId: null, peerId: null, state: 'waiting' as HopState })), buildMs: null, rttMs: null, error: null }
  set(state)
  try {
    await deps.start()
    const path = deps.choosePath()
    state = set({ ...state, hops: path.map(h => ({ shortId: shortPeerId(h.peerId), peerId: h.peerId, state: 'waiting' as HopState })) })
    const t0 = deps.clock.now()
    const circuit = await deps.build(path, (p) => {
      state = set({ ...state, hops: state.hops.map((h, i) => (i === p.hop ? { ...h, state: p.state } : h)) })
    })
    const buildMs = deps.clock.now() - t0
    deps.prepareNextPath()
    state = set({ ...state, phase: 'measuring', buildMs })
    const probe = deps.random(TEST_ECHO_BYTES)
    const t1 = deps.clock.now()
    const echoed = await circuit.echo(probe)
    const rttMs = deps.clock.now() - t1
    circuit.destroy()
    if (echoed.length !== probe.length || echoed.some((b, i) => b !== probe[i])) throw new Error('the echo came back different')
    return set({ ...state, phase: 'done', rttMs })
  } catch (err) {
    return set({ ...state, phase: 'failed', hops: state.hops.map(h => (h.state === 'open' ? h : { ...h, state: 'failed' as HopState })), error: describeError(err) })
  }
}

/** An error as a person can read it (no stack, no ids), told by its kind. */
export function describeError (err: unknown): string {
  if (isProtocolError(err, 'no-path')) return 'not enough relays are known yet'
  if (isProtocolError(err, 'timeout')) return 'a relay took too long to answer'
  if (isProtocolError(err, 'destroyed')) return 'a relay closed the circuit'
  if (isChannelUnavailableError(err)) return 'a relay could not be reached'
  if (err instanceof Error) {
    return err.name === 'Error' ? 'unexpected error' : err.name.replace(/Error$/, '').replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase()
  }
  return 'unexpected error'
}
