/**
 * End-to-end frames on a joined circuit (docs/RENDEZVOUS.md §7): every frame
 * is one full DATA cell, ChaCha20-Poly1305 under the direction's key with the
 * frame counter as nonce, so the rendezvous point sees only full cells, and
 * any tampered, dropped, replayed or reordered frame fails to open (its
 * counter is not the next one). The circuit delivers in order, so one failure
 * means an attack; the session then closes for good (fail closed).
 */
import { chacha20poly1305 } from '@noble/ciphers/chacha.js'
import { isAllZero } from '../bytes.ts'
import { AEAD_TAG_LEN, E2E_FRAME_LEN, E2E_PAYLOAD_MAX } from './constants.ts'
import { SessionError } from './errors.ts'
import type { SessionKeys } from './handshake.ts'
import { checkLen, u64 } from './wire.ts'

/** u16 len | payload | zeros: the plaintext of every frame (984 bytes). */
const PLAIN_LEN = E2E_FRAME_LEN - AEAD_TAG_LEN

/** nonce = 0^4 | u64(n) (RFC 8439 §2.8: a 96-bit nonce, unique per key; n counts frames per direction). */
function nonce (n: number): Uint8Array {
  const out = new Uint8Array(12)
  out.set(u64(n), 4)
  return out
}

export class E2eSession {
  private readonly send: Uint8Array
  private readonly receive: Uint8Array
  private sendN = 0
  private recvN = 0
  private closed = false

  /** Copies the keys; send and receive must differ (they do: kC2S ≠ kS2C). */
  constructor (keys: SessionKeys) {
    checkLen(keys.send, 32, 'send key')
    checkLen(keys.receive, 32, 'receive key')
    this.send = keys.send.slice()
    this.receive = keys.receive.slice()
  }

  /** One E2E_FRAME_LEN frame; RangeError if payload > E2E_PAYLOAD_MAX, SessionError once closed. */
  seal (payload: Uint8Array): Uint8Array {
    if (payload.length > E2E_PAYLOAD_MAX) throw new RangeError(`an end-to-end payload is at most ${E2E_PAYLOAD_MAX} bytes`)
    if (this.closed) throw new SessionError('The conversation is closed.')
    // Counter exhaustion would reuse a nonce (RFC 8439 §2.8); unreachable in practice, refused anyway.
    if (this.sendN >= Number.MAX_SAFE_INTEGER) { this.wipe(); throw new SessionError('The conversation is closed.') }
    const plain = new Uint8Array(PLAIN_LEN)
    plain[0] = payload.length >>> 8
    plain[1] = payload.length & 0xff
    plain.set(payload, 2)
    const frame = chacha20poly1305(this.send, nonce(this.sendN++)).encrypt(plain)
    plain.fill(0)
    return frame
  }

  /** The payload of the next frame; any failure throws SessionError and closes the session for good. */
  open (frame: Uint8Array): Uint8Array {
    if (this.closed) throw new SessionError('The conversation is closed.')
    try {
      if (frame.length !== E2E_FRAME_LEN) throw new SessionError()
      let plain: Uint8Array
      try {
        // Wrong key, tampered bytes or any counter but the next all fail the tag (RFC 8439 §2.8).
        plain = chacha20poly1305(this.receive, nonce(this.recvN)).decrypt(frame)
      } catch {
        throw new SessionError()
      }
      const len = ((plain[0] as number) << 8) | (plain[1] as number)
      // Authentic but not well formed: the peer is broken or hostile; close all the same.
      if (len > E2E_PAYLOAD_MAX || !isAllZero(plain.subarray(2 + len))) { plain.fill(0); throw new SessionError() }
      this.recvN++
      const payload = plain.slice(2, 2 + len)
      plain.fill(0)
      return payload
    } catch (e) {
      this.wipe()
      throw e
    }
  }

  /** Zero both keys and close the session. */
  wipe (): void {
    this.closed = true
    this.send.fill(0)
    this.receive.fill(0)
  }

  get isClosed (): boolean { return this.closed }
}
