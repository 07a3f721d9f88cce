/**
 * The relay-descriptor proof of work, off the page's thread (a few seconds of
 * hashing would freeze the UI). Solves core/directory/work.ts's puzzle with
 * hash-wasm's blake2b (8× @noble/hashes here; the same function, checked
 * against the reference vectors in work.test.ts), falling back to noble if
 * WebAssembly is unavailable. Reports progress every slice; the tab
 * terminates the worker to cancel.
 */
import { createBLAKE2b } from 'hash-wasm'
import { nobleRelayWorkHash, relayWorkInput, searchRelayWork, type RelayWorkHash } from '../../core/directory/work.ts'
import { SOLVE_SLICE_ATTEMPTS, type SolveMessage, type SolveRequest } from './messages.ts'

async function bestHash (): Promise<RelayWorkHash> {
  try {
    const h = await createBLAKE2b(32)
    return (input) => {
      h.init()
      h.update(input)
      const d = h.digest('binary')
      return ((d[0]! << 24) | (d[1]! << 16) | (d[2]! << 8) | d[3]!) >>> 0
    }
  } catch {
    return nobleRelayWorkHash
  }
}

const post = (m: SolveMessage): void => { (self as unknown as Worker).postMessage(m) }

self.onmessage = async (event: MessageEvent<SolveRequest>) => {
  try {
    const req = event.data
    const hash = await bestHash()
    const input = relayWorkInput({ signingKey: req.signingKey, epoch: req.epoch, effort: req.effort }, req.startNonce)
    let attempts = 0
    for (;;) {
      const nonce = searchRelayWork(input, req.effort, SOLVE_SLICE_ATTEMPTS, hash)
      if (nonce != null) {
        post({ type: 'done', nonce, attempts: attemptsTo(nonce) })
        return
      }
      attempts += SOLVE_SLICE_ATTEMPTS
      post({ type: 'progress', attempts })
    }
  } catch (err) {
    post({ type: 'error', message: err instanceof Error ? err.message : String(err) })
  }
}

/** Attempts it took: the tab starts the little-endian counter (first 8 bytes of the nonce) at 0. */
function attemptsTo (found: Uint8Array): number {
  let n = 0
  for (let i = 5; i >= 0; i--) n = n * 256 + found[i]!
  return n + 1
}
