import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { sha256 } from '@noble/hashes/sha2.js'
import { nobleRunningDigest } from './running-digest.ts'

const concat = (parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let o = 0
  for (const p of parts) { out.set(p, o); o += p.length }
  return out
}

describe('running digest (tor-spec §6.1)', () => {
  it('peek is SHA-256 over the seed, every committed body and the peeked one; uncommitted bodies are forgotten', () => {
    fc.assert(fc.property(
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      fc.array(fc.record({ body: fc.uint8Array({ maxLength: 1100 }), commit: fc.boolean() }), { maxLength: 12 }),
      (seed, steps) => {
        const d = nobleRunningDigest(seed)
        const absorbed: Uint8Array[] = [seed]
        const out = new Uint8Array(32)
        for (const { body, commit } of steps) {
          d.peek(body, out)
          expect(out).toEqual(sha256(concat([...absorbed, body])))
          if (commit) { d.commit(); absorbed.push(body) }
        }
      }
    ), { numRuns: 60 })
  })

  it('refuses a commit without a peek', () => {
    const d = nobleRunningDigest(new Uint8Array(32))
    expect(() => { d.commit() }).toThrow(/without peek/)
  })
})
