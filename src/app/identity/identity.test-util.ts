/**
 * Shared by the identity layer's tests: a store on an in-memory profile with
 * a cheap key-derivation function (the explicit weak-KDF override), and one
 * with an identity already made.
 */
import { expect } from 'vitest'
import { memoryProfileBackend } from '../../storage/memory.ts'
import { IdentityStore } from './store.ts'

export const PASS = 'correct horse battery'
export const FAST = { kdfParams: { logN: 10, r: 8, p: 1 }, unsafeAllowWeakKdfForTests: true } as const

export function makeStore (now = () => 1_750_000_000_000) {
  const backend = memoryProfileBackend()
  const store = new IdentityStore({ backend, now, appUrl: () => 'https://app.example/', ...FAST })
  return { backend, store }
}

export async function ready (name: string, now?: () => number) {
  const s = makeStore(now)
  await s.store.start()
  expect(s.store.getSnapshot().phase).toBe('first-run')
  expect(await s.store.createIdentity(name, PASS, PASS)).toBe(true)
  return s
}
