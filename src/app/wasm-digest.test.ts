import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { nobleRunningDigest } from '../core/crypto/index.ts'
import { agreesWithNoble, bestRunningDigest, createWasmRunningDigest } from './wasm-digest.ts'

// hash-wasm runs in Node as in the browser, so the browser's engine is checked here.
describe('WebAssembly running digest', () => {
  it('gives noble\'s bytes over random interleaved cell sequences on several circuits at once', async () => {
    const engine = await createWasmRunningDigest()
    fc.assert(fc.property(
      fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { minLength: 1, maxLength: 3 }),
      fc.array(fc.record({ which: fc.nat(), body: fc.uint8Array({ maxLength: 1100 }), commit: fc.boolean() }), { maxLength: 30 }),
      (seeds, steps) => {
        // One shared WebAssembly hasher serves every state: interleaving must not mix them.
        const pairs = seeds.map(s => ({ wasm: engine(s), noble: nobleRunningDigest(s) }))
        const a = new Uint8Array(32)
        const b = new Uint8Array(32)
        for (const { which, body, commit } of steps) {
          const p = pairs[which % pairs.length]!
          p.wasm.peek(body, a)
          p.noble.peek(body, b)
          expect(a).toEqual(b)
          if (commit) { p.wasm.commit(); p.noble.commit() }
        }
      }
    ), { numRuns: 60 })
  })

  it('the self-check catches an engine that differs from noble, and the best engine is the WebAssembly one here', async () => {
    const wrong = (seed: Uint8Array) => {
      const inner = nobleRunningDigest(seed)
      return { ...inner, peek: (body: Uint8Array, out: Uint8Array) => { inner.peek(body, out); out[31] = (out[31] ?? 0) ^ 1 }, commit: () => { inner.commit() }, wipe: () => { inner.wipe() } }
    }
    expect(agreesWithNoble(wrong)).toBe(false)
    expect(agreesWithNoble(await createWasmRunningDigest())).toBe(true)
    expect(await bestRunningDigest()).not.toBe(nobleRunningDigest)
  })

  it('refuses a commit without a peek', async () => {
    const d = (await createWasmRunningDigest())(new Uint8Array(32))
    expect(() => { d.commit() }).toThrow(/without peek/)
  })
})
