/**
 * Solving the relay-descriptor proof of work (core/directory/work.ts) for
 * this tab: in a Web Worker in the browser (./solve.worker.ts), so the page
 * stays responsive for the seconds it takes; in slices on this thread where
 * there is no Worker (Node tools and unit tests). Both report attempts so the
 * UI can show progress, and both stop when the signal aborts.
 */
import { relayWorkInput, searchRelayWork, RELAY_WORK_NONCE_LENGTH, type RelayWorkChallenge, type RelayWorkProof } from '../../core/directory/work.ts'
import { SOLVE_SLICE_ATTEMPTS, type SolveMessage, type SolveRequest } from './messages.ts'

export type RelayWorkSolver = (challenge: RelayWorkChallenge, onProgress: (attempts: number) => void, signal: AbortSignal) => Promise<RelayWorkProof>

/** A random start: bytes 8..15 random (two tabs never search the same nonces), counter bytes 0..7 zero. */
export function startNonce (): Uint8Array {
  const n = new Uint8Array(RELAY_WORK_NONCE_LENGTH)
  crypto.getRandomValues(n.subarray(8))
  return n
}

/** Solve on this thread, yielding to the event loop between slices. */
export const inThreadSolver: RelayWorkSolver = async (challenge, onProgress, signal) => {
  const input = relayWorkInput(challenge, startNonce())
  let attempts = 0
  for (;;) {
    signal.throwIfAborted()
    const nonce = searchRelayWork(input, challenge.effort, SOLVE_SLICE_ATTEMPTS)
    if (nonce != null) return { epoch: challenge.epoch, effort: challenge.effort, nonce }
    attempts += SOLVE_SLICE_ATTEMPTS
    onProgress(attempts)
    await new Promise(resolve => setTimeout(resolve, 0))
  }
}

/** Solve in a Web Worker (one per solve, terminated when done or aborted); on this thread if Workers are unavailable. */
export const workerSolver: RelayWorkSolver = async (challenge, onProgress, signal) => {
  if (typeof Worker === 'undefined') return await inThreadSolver(challenge, onProgress, signal)
  const worker = new Worker(new URL('./solve.worker.ts', import.meta.url), { type: 'module' })
  try {
    return await new Promise<RelayWorkProof>((resolve, reject) => {
      signal.addEventListener('abort', () => { reject(signal.reason as Error) }, { once: true })
      worker.onerror = () => { reject(new Error('relay work worker failed')) }
      worker.onmessage = (event: MessageEvent<SolveMessage>) => {
        const m = event.data
        if (m.type === 'progress') onProgress(m.attempts)
        else if (m.type === 'done') resolve({ epoch: challenge.epoch, effort: challenge.effort, nonce: m.nonce })
        else reject(new Error(`relay work worker: ${m.message}`))
      }
      const request: SolveRequest = { signingKey: challenge.signingKey, epoch: challenge.epoch, effort: challenge.effort, startNonce: startNonce() }
      worker.postMessage(request)
    })
  } finally {
    worker.terminate()
  }
}
