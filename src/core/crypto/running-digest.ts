/**
 * The running digest of relay crypto (tor-spec §6.1; docs/PROTOCOL.md §6):
 * SHA-256 over a seed (Df or Db) and every relay cell body so far in one
 * direction of one hop. A cell's digest field is the first 4 bytes of that
 * running hash *including* the cell, so the hash has to be finished for every
 * cell while it keeps running: a "peek" (finish a copy) and, once the cell is
 * accepted, a "commit".
 *
 * It is an injected engine, like X25519 (ntor.ts `X25519Dh`): core defaults
 * to noble's SHA-256, and the browser app swaps in a WebAssembly SHA-256 that
 * is about 3× faster per 1 KiB cell in Chromium (app/wasm-digest.ts). Both
 * must give identical bytes; running-digest.test.ts checks any engine against
 * noble over random cell sequences.
 */
import { sha256 } from '@noble/hashes/sha2.js'

/** One direction of one hop's running SHA-256. */
export interface RunningDigest {
  /** Write SHA-256(seed | every committed body | `body`) into `out` (32 bytes); the running state is unchanged. */
  peek(body: Uint8Array, out: Uint8Array): void
  /** Make the body of the last peek part of the running state. */
  commit(): void
  /** Forget the state; unusable afterwards. */
  wipe(): void
}

/** Makes the running digest seeded with `seed` (tor-spec §5.2.2: Df or Db). */
export type RunningDigestFactory = (seed: Uint8Array) => RunningDigest

type Sha256 = ReturnType<typeof sha256.create>

/** noble's SHA-256, allocation-free per cell: three hash states reused in turn. */
class NobleRunningDigest implements RunningDigest {
  private running: Sha256
  private scratch: Sha256
  private readonly fin: Sha256
  private peeked = false

  constructor (seed: Uint8Array) {
    this.running = sha256.create().update(seed)
    this.scratch = sha256.create()
    this.fin = sha256.create()
  }

  peek (body: Uint8Array, out: Uint8Array): void {
    this.running._cloneInto(this.scratch)
    this.scratch.update(body)
    this.scratch._cloneInto(this.fin)
    this.fin.digestInto(out)
    this.peeked = true
  }

  commit (): void {
    if (!this.peeked) throw new Error('RunningDigest.commit without peek')
    const t = this.running
    this.running = this.scratch
    this.scratch = t
    this.peeked = false
  }

  wipe (): void {
    this.running.destroy(); this.scratch.destroy(); this.fin.destroy()
  }
}

/** The default engine: noble's SHA-256 (pure JavaScript, synchronous, everywhere). */
export const nobleRunningDigest: RunningDigestFactory = (seed) => new NobleRunningDigest(seed)
