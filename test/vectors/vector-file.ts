/**
 * Shared by the vector tests: compare a regenerated vector with its committed
 * JSON file (rewriting the file first with SHALLOT_UPDATE_VECTORS=1), and a
 * random source that hands out one recorded chunk.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { expect } from 'vitest'
import { fromHex } from '../../src/core/bytes.ts'

const UPDATE = process.env.SHALLOT_UPDATE_VECTORS === '1'

/** `file` is relative to this folder. */
export function check (file: string, generated: Record<string, unknown>): Record<string, unknown> {
  const url = new URL(file, import.meta.url)
  const text = JSON.stringify(generated, null, 2) + '\n'
  if (UPDATE) writeFileSync(url, text)
  const stored = JSON.parse(readFileSync(url, 'utf8')) as Record<string, unknown>
  expect(generated).toEqual(stored)
  return stored
}

/** A RandomSource that returns `chunk` (hex) once, for the length it has. */
export const once = (chunk: string): (n: number) => Uint8Array => (n) => { const b = fromHex(chunk); if (b.length !== n) throw new Error('len'); return b }
