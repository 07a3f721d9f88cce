/** Messages between the tab and its relay-work Web Worker (./solve.worker.ts). */

/** Tab → worker: solve this challenge (core/directory/work.ts), counting up from `startNonce`. */
export interface SolveRequest {
  readonly signingKey: Uint8Array
  readonly epoch: number
  readonly effort: number
  readonly startNonce: Uint8Array
}

/** Worker → tab: `attempts` so far, then the winning nonce. */
export type SolveMessage =
  | { readonly type: 'progress', readonly attempts: number }
  | { readonly type: 'done', readonly nonce: Uint8Array, readonly attempts: number }
  | { readonly type: 'error', readonly message: string }

/** Attempts between two progress messages (and between two checks for a newer request). */
export const SOLVE_SLICE_ATTEMPTS = 1 << 16
