import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { ManualClock } from '../../core/clock.ts'
import { DestroyReason } from '../../core/cell/index.ts'
import { PREPARED_ONIONSKIN_TTL_MS, type RelayInfo } from '../../core/circuit/router.ts'
import { CircuitClosedError, CircuitTimeoutError } from '../../core/circuit/errors.ts'
import { NoPathError } from '../../core/path/errors.ts'
import { ChannelUnavailableError } from '../../net/channels.ts'
import { CIRCUIT_HOPS, SUSPECT_MS, UNREACHABLE_MS } from './constants.ts'
import { isUnreachableError, PathPolicy, type PathDirectory } from './path-policy.ts'

const relay = (peerId: string, key = 1): RelayInfo => ({ peerId, nodeId: new Uint8Array(20), onionKey: new Uint8Array(32).fill(key) })

/** A directory that picks the first relays not excluded (the guard is the first one), in order. */
class FakeDirectory implements PathDirectory {
  relaysNow: RelayInfo[] = Array.from({ length: 6 }, (_, i) => relay(`r${i}`))
  calls: Array<{ hops: number, exclude: readonly string[], guards: boolean }> = []
  choosePath (hops: number, exclude: readonly string[], guards = true): RelayInfo[] {
    this.calls.push({ hops, exclude, guards })
    const usable = this.relaysNow.filter(r => !exclude.includes(r.peerId))
    if (usable.length < hops) throw new NoPathError('too few', hops, usable.length)
    return usable.slice(0, hops)
  }

  chooseVanguardPath (hops: number, exclude: readonly string[], gone: readonly string[] = []): RelayInfo[] {
    return this.choosePath(hops, [...exclude, ...gone])
  }

  currentGuard (exclude: readonly string[]): string | undefined { return this.relaysNow.find(r => !exclude.includes(r.peerId))?.peerId }
  relays (): RelayInfo[] { return [...this.relaysNow] }
}

function setup (started = true) {
  const wallClock = new ManualClock(1_000_000)
  const monotonic = new ManualClock(0)
  const directory = new FakeDirectory()
  const prepared: string[] = []
  const policy = new PathPolicy({ directory: () => (started ? directory : null), prepareOnionskin: (hop) => { prepared.push(hop.peerId) }, wallClock, monotonic })
  return { policy, directory, wallClock, monotonic, prepared }
}
const ids = (path: readonly RelayInfo[]): string[] => path.map(r => r.peerId)

describe('isUnreachableError', () => {
  it('takes a refused channel or DESTROY CONNECTFAILED as proof a hop is gone, and nothing else', () => {
    expect(isUnreachableError(new ChannelUnavailableError('refused'))).toBe(true)
    expect(isUnreachableError(new CircuitClosedError(DestroyReason.CONNECTFAILED, 'x'))).toBe(true)
    expect(isUnreachableError(new CircuitClosedError(DestroyReason.CHANNEL_CLOSED, 'x'))).toBe(false)
    expect(isUnreachableError(new CircuitTimeoutError('slow'))).toBe(false)
    // Told by kind, not by a name any error could carry.
    expect(isUnreachableError(Object.assign(new Error('x'), { name: 'ChannelUnavailableError' }))).toBe(false)
    expect(isUnreachableError('ChannelUnavailableError')).toBe(false)
  })
})

describe('PathPolicy: relays that failed', () => {
  it(`a relay that is gone is kept out for ${UNREACHABLE_MS} ms, one that timed out for ${SUSPECT_MS} ms, others not at all`, () => {
    const { policy, wallClock } = setup()
    policy.noteFailure('gone', new ChannelUnavailableError('refused'))
    policy.noteFailure('slow', new CircuitTimeoutError('slow'))
    policy.noteFailure('closed', new CircuitClosedError(DestroyReason.FINISHED, 'x'))
    policy.noteFailure('odd', new Error('odd'))
    expect(policy.unreachableIds().sort()).toEqual(['gone', 'slow'])
    wallClock.advance(SUSPECT_MS - 1)
    expect(policy.unreachableIds().sort()).toEqual(['gone', 'slow'])
    wallClock.advance(1)
    expect(policy.unreachableIds()).toEqual(['gone'])
    wallClock.advance(UNREACHABLE_MS - SUSPECT_MS)
    expect(policy.unreachableIds()).toEqual([])
  })

  it('a shorter mark never cuts a longer one short', () => {
    const { policy, wallClock } = setup()
    policy.markUnreachable('r1')
    policy.markUnreachable('r1', SUSPECT_MS)
    wallClock.advance(SUSPECT_MS)
    expect(policy.unreachableIds()).toEqual(['r1'])
  })

  it('paths and the ring leave out relays believed gone, and take them back when too few are left', () => {
    const { policy, directory } = setup()
    policy.markUnreachable('r0')
    expect(ids(policy.choosePath())).toEqual(['r1', 'r2', 'r3'])
    expect(ids(policy.ringMembers(relay('me')))).toEqual(['r1', 'r2', 'r3', 'r4', 'r5', 'me'])
    directory.relaysNow = directory.relaysNow.slice(0, 3)
    expect(ids(policy.choosePath())).toEqual(['r0', 'r1', 'r2']) // a path that may fail beats no path
    expect(directory.calls.at(-1)!.exclude).toEqual([])
  })

  it('but never takes back a relay the caller excluded or the tab avoids', () => {
    const { policy, directory } = setup()
    directory.relaysNow = directory.relaysNow.slice(0, 4)
    policy.avoid('r3')
    policy.markUnreachable('r0')
    expect(() => policy.choosePath(CIRCUIT_HOPS, ['r1'])).toThrow(NoPathError)
  })

  it('forgets every failure (and the path chosen ahead) on rejoin', () => {
    const { policy, monotonic } = setup()
    policy.prepareNextPath()
    policy.markUnreachable('r0')
    policy.forgetFailures()
    expect(policy.unreachableIds()).toEqual([])
    monotonic.advance(1)
    expect(ids(policy.choosePath())).toEqual(['r0', 'r1', 'r2'])
  })

  it('destinations are never chosen as guards, and leave out avoided and gone relays', () => {
    const { policy, directory } = setup()
    policy.avoid('r0')
    policy.markUnreachable('r1')
    expect(policy.chooseDestination(['r2']).peerId).toBe('r3')
    expect(directory.calls.at(-1)).toEqual({ hops: 1, exclude: ['r2', 'r0', 'r1'], guards: false })
  })

  it('refuses to choose before the onion layer has started', () => {
    const { policy } = setup(false)
    expect(() => policy.choosePath()).toThrow('onion layer not started')
    expect(() => policy.chooseDestination()).toThrow('onion layer not started')
    policy.prepareNextPath() // quietly nothing
    expect(policy.ringMembers(null)).toEqual([])
  })
})

describe('PathPolicy: the path chosen ahead', () => {
  it('is chosen with its onionskins made, and handed out once, to a full-length build only', () => {
    const { policy, directory, prepared } = setup()
    policy.prepareNextPath()
    expect(prepared).toEqual(['r0', 'r1', 'r2'])
    const calls = directory.calls.length
    expect(ids(policy.choosePath(2))).toEqual(['r0', 'r1']) // a shorter path is chosen afresh, the one ahead kept
    expect(policy.choosePath()).toHaveLength(3)
    expect(directory.calls.length).toBe(calls + 1) // the full-length one came from ahead
    policy.choosePath()
    expect(directory.calls.length).toBe(calls + 2) // and only once
  })

  it(`is not used once older than its onionskins may be kept (${PREPARED_ONIONSKIN_TTL_MS} ms)`, () => {
    const { policy, directory, monotonic } = setup()
    policy.prepareNextPath()
    monotonic.advance(PREPARED_ONIONSKIN_TTL_MS + 1)
    const calls = directory.calls.length
    policy.choosePath()
    expect(directory.calls.length).toBe(calls + 1)
  })

  it('is not used when the guard choice changed, a hop is excluded, gone, or its keys changed', () => {
    const cases: Array<(s: ReturnType<typeof setup>) => string[]> = [
      (s) => { s.directory.relaysNow = [relay('r9'), ...s.directory.relaysNow]; return [] }, // another guard now
      () => ['r1'], // excluded by the caller
      (s) => { s.policy.markUnreachable('r2'); return [] },
      (s) => { s.policy.avoid('r1'); return [] },
      (s) => { s.directory.relaysNow = s.directory.relaysNow.map(r => (r.peerId === 'r1' ? relay('r1', 2) : r)); return [] },
      (s) => { s.directory.relaysNow = s.directory.relaysNow.filter(r => r.peerId !== 'r2'); return [] }
    ]
    for (const change of cases) {
      const s = setup()
      s.policy.prepareNextPath()
      const ahead = s.directory.calls.length
      const exclude = change(s)
      s.policy.choosePath(CIRCUIT_HOPS, exclude)
      expect(s.directory.calls.length).toBeGreaterThan(ahead)
    }
  })

  it('whatever was marked gone, a path never holds a relay believed gone while enough others are left', () => {
    fc.assert(fc.property(fc.subarray(['r0', 'r1', 'r2', 'r3', 'r4', 'r5']), fc.boolean(), (gone, ahead) => {
      const { policy } = setup()
      if (ahead) policy.prepareNextPath()
      for (const id of gone) policy.markUnreachable(id)
      const path = ids(policy.choosePath())
      expect(new Set(path).size).toBe(CIRCUIT_HOPS)
      if (6 - gone.length >= CIRCUIT_HOPS) for (const id of path) expect(gone).not.toContain(id)
    }))
  })
})
