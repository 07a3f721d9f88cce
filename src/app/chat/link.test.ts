import { describe, expect, it } from 'vitest'
import { systemRandom } from '../../core/random.ts'
import { E2eSession } from '../../core/rendezvous/index.ts'
import { ChatLink } from './link.ts'
import type { RendezvousLink } from '../onion-service/index.ts'

/** A circuit whose first write waits until released (the package window was empty), later ones go at once. */
function slowFirstCircuit (): { circuit: unknown, frames: Uint8Array[], release: () => void, failNext: () => void } {
  const frames: Uint8Array[] = []
  let release = (): void => {}
  let first = true
  let fail = false
  const circuit = {
    state: 'open',
    path: [],
    attachStream: () => {},
    onClose: () => () => {},
    keepAlive: () => {},
    destroy: () => { circuit.state = 'closed' },
    write: async (_id: number, d: Uint8Array) => {
      if (fail) { fail = false; throw new Error('write failed') }
      if (first) { first = false; await new Promise<void>(resolve => { release = resolve }) }
      frames.push(d)
    }
  }
  return { circuit, frames, release: () => { release() }, failNext: () => { fail = true } }
}

describe('ChatLink', () => {
  it('writes frames in the order they were sealed, even when an earlier write waits for window', async () => {
    const k1 = systemRandom(32)
    const k2 = systemRandom(32)
    const c = slowFirstCircuit()
    const link = new ChatLink({ circuit: c.circuit, keys: { send: k1, receive: k2 }, hops: [] } as unknown as RendezvousLink, () => {}, () => {})
    const a = link.send(Uint8Array.of(1))
    const b = link.send(Uint8Array.of(2))
    await new Promise(resolve => setTimeout(resolve, 0))
    c.release()
    await Promise.all([a, b])
    const peer = new E2eSession({ send: k2, receive: k1 })
    expect(c.frames.map(f => peer.open(f)[0])).toEqual([1, 2]) // counter order: any other order closes the session
    link.close()
  })

  it('closes itself when a write fails (the frame counter would no longer match the receiver)', async () => {
    const c = slowFirstCircuit()
    let closed = 0
    const link = new ChatLink({ circuit: c.circuit, keys: { send: systemRandom(32), receive: systemRandom(32) }, hops: [] } as unknown as RendezvousLink, () => {}, () => { closed++ })
    c.failNext()
    await expect(link.send(Uint8Array.of(1))).rejects.toThrow()
    expect(link.live).toBe(false)
    expect(closed).toBe(1)
    await expect(link.send(Uint8Array.of(2))).rejects.toThrow('session closed')
  })
})
