/**
 * Guards the third part of our @libp2p/webrtc 6.0.33 patch (patches/): when
 * the signalling stream ends before the peer connection is connected,
 * `readCandidatesUntilConnected` must wait for the peer connection instead of
 * reporting success. Unpatched it returned at once, and the answerer upgraded
 * a connection that never connected: its data channels never opened, it
 * counted as a neighbour, and it hid the real connection (the e2e
 * webrtc-dial-race test caught it as B never showing A's new connection).
 */
import { describe, expect, it } from 'vitest'
import { readCandidatesUntilConnected as readCandidatesTyped } from '../../node_modules/@libp2p/webrtc/dist/src/private-to-private/util.js'

/** Called with fakes of just the parts it touches (its types ask for the whole RTCPeerConnection and stream). */
const readCandidatesUntilConnected = readCandidatesTyped as unknown as (pc: FakePeerConnection, stream: unknown, options: unknown) => Promise<void>

/** A peer connection as far as the function looks at one: a state and its change event. */
type PeerConnectionState = 'new' | 'checking' | 'connected' | 'failed' | 'closed'

class FakePeerConnection extends EventTarget {
  connectionState: PeerConnectionState = 'checking'
  onconnectionstatechange: ((ev: Event) => void) | null = null
  become (state: PeerConnectionState): void {
    this.connectionState = state
    const ev = new Event('connectionstatechange')
    this.onconnectionstatechange?.(ev)
    this.dispatchEvent(ev)
  }
}

class UnexpectedEOFError extends Error { override name = 'UnexpectedEOFError' }

/** A signalling stream the remote closed: every read fails as pbStream's does. */
const endedStream = { read: async () => { throw new UnexpectedEOFError('Unexpected EOF - stream closed while reading 0/1 bytes') } }
const log = Object.assign(() => {}, { trace: () => {}, error: () => {} })

async function settled (p: Promise<unknown>, ms = 50): Promise<'pending' | 'resolved' | 'rejected'> {
  return await Promise.race([
    p.then(() => 'resolved' as const, () => 'rejected' as const),
    new Promise<'pending'>(resolve => setTimeout(() => { resolve('pending') }, ms))
  ])
}

describe('@libp2p/webrtc patch: the signalling stream ending is not a connection', () => {
  it('waits while the peer connection is still checking, and fails when it fails', async () => {
    const pc = new FakePeerConnection()
    const reading = readCandidatesUntilConnected(pc, endedStream, { direction: 'recipient', signal: new AbortController().signal, log })
    expect(await settled(reading)).toBe('pending')
    pc.become('failed')
    await expect(reading).rejects.toThrow(/failed/)
  })

  it('fails when the dial signal ends first (the upgrade timeout)', async () => {
    const pc = new FakePeerConnection()
    const controller = new AbortController()
    const reading = readCandidatesUntilConnected(pc, endedStream, { direction: 'recipient', signal: controller.signal, log })
    expect(await settled(reading)).toBe('pending')
    controller.abort(new Error('upgrade timed out'))
    await expect(reading).rejects.toThrow('upgrade timed out')
  })

  it('succeeds once the peer connection connects after the remote closed the stream', async () => {
    const pc = new FakePeerConnection()
    const reading = readCandidatesUntilConnected(pc, endedStream, { direction: 'initiator', signal: new AbortController().signal, log })
    expect(await settled(reading)).toBe('pending')
    pc.become('connected')
    await expect(reading).resolves.toBeUndefined()
  })
})
