import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../core/clock.ts'
import { DestroyReason } from '../../core/cell/index.ts'
import type { BuildProgress, RelayInfo } from '../../core/circuit/router.ts'
import { CircuitClosedError, CircuitTimeoutError } from '../../core/circuit/errors.ts'
import { NoPathError } from '../../core/path/errors.ts'
import { MalformedCellError } from '../../core/errors.ts'
import { ChannelUnavailableError } from '../../net/channels.ts'
import { describeError, runTestCircuit, type EchoCircuit, type TestCircuitState } from './test-circuit.ts'

const PATH: RelayInfo[] = ['12D3KooWAAAAAAAAAAAAAAAAAAAAAAAA', '12D3KooWBBBBBBBBBBBBBBBBBBBBBBBB', '12D3KooWCCCCCCCCCCCCCCCCCCCCCCCC']
  .map(peerId => ({ peerId, nodeId: new Uint8Array(20), onionKey: new Uint8Array(32) }))

function run (build: (onProgress: (p: BuildProgress) => void, clock: ManualClock) => Promise<EchoCircuit>) {
  const clock = new ManualClock(0)
  const shown: TestCircuitState[] = []
  let prepared = 0
  const result = runTestCircuit({
    start: async () => {},
    choosePath: () => PATH,
    build: async (_path, onProgress) => await build(onProgress, clock),
    prepareNextPath: () => { prepared++ },
    show: (s) => { shown.push(s) },
    clock,
    random: (n) => new Uint8Array(n).fill(7)
  })
  return { result, shown, prepared: () => prepared }
}

describe('runTestCircuit', () => {
  it('shows the build hop by hop, then the echo\'s round trip', async () => {
    const { result, shown, prepared } = run(async (onProgress, clock) => {
      for (let hop = 0; hop < 3; hop++) onProgress({ hop, state: 'open' })
      clock.advance(120)
      return { echo: async (data) => { clock.advance(40); return data.slice() }, destroy: () => {} }
    })
    const done = await result
    expect(done).toMatchObject({ phase: 'done', buildMs: 120, rttMs: 40, error: null })
    expect(done.hops.map(h => h.state)).toEqual(['open', 'open', 'open'])
    expect(done.hops.map(h => h.peerId)).toEqual(PATH.map(r => r.peerId))
    expect(shown.map(s => s.phase)).toEqual(['building', 'building', 'building', 'building', 'building', 'measuring', 'done'])
    expect(shown[0]!.hops.every(h => h.peerId == null && h.state === 'waiting')).toBe(true)
    expect(prepared()).toBe(1)
  })

  it('a failed build marks every hop not open as failed, with a readable reason', async () => {
    const { result } = run(async (onProgress) => {
      onProgress({ hop: 0, state: 'open' })
      onProgress({ hop: 1, state: 'failed' })
      throw new CircuitClosedError(DestroyReason.CONNECTFAILED, 'hop 1 destroyed')
    })
    const failed = await result
    expect(failed).toMatchObject({ phase: 'failed', error: 'a relay closed the circuit', buildMs: null })
    expect(failed.hops.map(h => h.state)).toEqual(['open', 'failed', 'failed'])
  })

  it('an echo that comes back different fails the test', async () => {
    const { result } = run(async () => ({ echo: async (data) => data.map(b => b ^ 1), destroy: () => {} }))
    expect(await result).toMatchObject({ phase: 'failed', error: 'unexpected error' })
  })
})

describe('describeError', () => {
  it('says what went wrong by the error\'s kind, without ids or messages', () => {
    expect(describeError(new NoPathError('x', 3, 1))).toBe('not enough relays are known yet')
    expect(describeError(new CircuitTimeoutError('x'))).toBe('a relay took too long to answer')
    expect(describeError(new CircuitClosedError(DestroyReason.FINISHED, 'x'))).toBe('a relay closed the circuit')
    expect(describeError(new ChannelUnavailableError('peer 12D3KooW...'))).toBe('a relay could not be reached')
    expect(describeError(new MalformedCellError('x'))).toBe('malformed cell')
    expect(describeError(new Error('secret'))).toBe('unexpected error')
    expect(describeError('oops')).toBe('unexpected error')
  })
})
