import { afterEach, describe, expect, it } from 'vitest'
import { relayWorkInput, meetsEffort, nobleRelayWorkHash } from '../../core/directory/work.ts'
import type { SolveMessage, SolveRequest } from './messages.ts'

// The worker module installs `self.onmessage`; here `self` is a stand-in that
// records what the worker posts, so its protocol and its hash-wasm solver run
// in Node (the browser runs the same file in a real Worker).
const posted: SolveMessage[] = []
const fakeSelf: { postMessage: (m: SolveMessage) => void, onmessage?: (e: { data: SolveRequest }) => Promise<void> } = { postMessage: (m) => { posted.push(m) } }

afterEach(() => { posted.length = 0; delete (globalThis as { self?: unknown }).self })

describe('relay work Web Worker', () => {
  it('posts progress, then a nonce that meets the effort for the asked key and epoch', async () => {
    (globalThis as { self?: unknown }).self = fakeSelf
    await import('./solve.worker.ts')
    const signingKey = Uint8Array.from({ length: 32 }, (_, i) => 255 - i)
    const request: SolveRequest = { signingKey, epoch: 472222, effort: 200_000, startNonce: new Uint8Array(16) }
    await fakeSelf.onmessage!({ data: request })
    const done = posted.at(-1)
    expect(done?.type).toBe('done')
    if (done?.type !== 'done') return
    const r = nobleRelayWorkHash(relayWorkInput({ signingKey, epoch: 472222, effort: 200_000 }, done.nonce))
    expect(meetsEffort(r, 200_000)).toBe(true)
    expect(done.attempts).toBe(new DataView(done.nonce.buffer, done.nonce.byteOffset).getUint32(0, true) + 1)
    const progress = posted.filter(m => m.type === 'progress')
    expect(progress.length).toBe(Math.floor((done.attempts - 1) / 65536))
  })
})
