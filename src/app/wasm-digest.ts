/**
 * The running digest of relay crypto (core/crypto/running-digest.ts) through
 * hash-wasm's WebAssembly SHA-256. In Chromium it digests a 1 KiB cell about
 * 3× faster than noble's JavaScript SHA-256 (5 vs 15 µs here), and SHA-256 was
 * the largest JavaScript cost of a busy circuit at the client and the exit.
 *
 * One WebAssembly hasher serves every circuit: each running state is kept as
 * hash-wasm's saved state (`save()`/`load()`, 116 bytes) and loaded for
 * each cell, so circuits cost no WebAssembly memory of their own.
 *
 * Before use it checks itself against noble over cell-sized inputs; where
 * WebAssembly is unavailable (or refused by a Content-Security-Policy) or the
 * check fails, noble's engine is used instead.
 */
import { createSHA256, type IHasher } from 'hash-wasm'
import { nobleRunningDigest, type RunningDigest, type RunningDigestFactory } from '../core/crypto/index.ts'

/** Enough zeros to overwrite hash-wasm's input buffer past one relay body. */
const ZEROS = new Uint8Array(1024)

class WasmRunningDigest implements RunningDigest {
  private state: Uint8Array
  private pending: Uint8Array | null = null

  constructor (private readonly hasher: IHasher, seed: Uint8Array) {
    hasher.init()
    hasher.update(seed)
    this.state = hasher.save()
  }

  peek (body: Uint8Array, out: Uint8Array): void {
    const h = this.hasher
    h.load(this.state)
    h.update(body)
    this.pending?.fill(0) // an earlier peek never committed (a cell not for this hop)
    this.pending = h.save()
    const digest = h.digest('binary')
    out.set(digest)
    digest.fill(0)
  }

  commit (): void {
    if (this.pending == null) throw new Error('RunningDigest.commit without peek')
    this.state.fill(0)
    this.state = this.pending
    this.pending = null
  }

  wipe (): void {
    this.state.fill(0)
    this.pending?.fill(0)
    this.pending = null
    // The shared hasher's memory still holds the last body and state it saw:
    // overwrite them, as noble's destroy() clears its buffers.
    this.hasher.init()
    this.hasher.update(ZEROS)
    this.hasher.digest('binary').fill(0)
  }
}

/** A running-digest engine over one hash-wasm SHA-256 instance. */
export async function createWasmRunningDigest (): Promise<RunningDigestFactory> {
  const hasher = await createSHA256()
  return (seed) => new WasmRunningDigest(hasher, seed)
}

/**
 * `engine` must give noble's bytes: the same seed, then bodies of the sizes
 * relay crypto feeds it, peeked, sometimes left uncommitted (a cell not for
 * this hop), then committed.
 */
export function agreesWithNoble (engine: RunningDigestFactory): boolean {
  const seed = Uint8Array.from({ length: 32 }, (_, i) => i * 7 + 1)
  const a = engine(seed)
  const b = nobleRunningDigest(seed)
  const outA = new Uint8Array(32)
  const outB = new Uint8Array(32)
  for (let n = 0; n < 6; n++) {
    const body = Uint8Array.from({ length: 1019 }, (_, i) => (i * 31 + n * 17) & 0xff)
    a.peek(body, outA)
    b.peek(body, outB)
    if (!outA.every((x, i) => x === outB[i])) return false
    if (n % 3 !== 2) { a.commit(); b.commit() }
  }
  return true
}

/** hash-wasm's engine when it loads and agrees with noble, otherwise noble's. */
export async function bestRunningDigest (): Promise<RunningDigestFactory> {
  try {
    const engine = await createWasmRunningDigest()
    return agreesWithNoble(engine) ? engine : nobleRunningDigest
  } catch {
    return nobleRunningDigest
  }
}
