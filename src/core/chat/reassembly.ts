/**
 * Reassembly of PART frames into text messages (docs/RENDEZVOUS.md §8).
 * Parts may arrive in any order and more than once (the sender resends whole
 * messages until it sees an ACK); they are collected per message id and the
 * text is returned once its last missing part arrives. What a peer can make us
 * hold is bounded: at most MAX_PENDING_MESSAGES partial messages of at most
 * MAX_MESSAGE_BYTES each, dropped after REASSEMBLY_TIMEOUT_MS.
 * Time is injected, so the whole thing is pure.
 */
import { concatBytes, toHex } from '../bytes.ts'
import { ChatFrameError, MAX_MESSAGE_BYTES, type ChatFrame } from './frames.ts'

/** Partially received messages held per conversation; the oldest is dropped beyond this. */
export const MAX_PENDING_MESSAGES = 64
/** A partial message whose first part arrived this long ago (ms) is dropped. */
export const REASSEMBLY_TIMEOUT_MS = 120_000

type Part = Extract<ChatFrame, { type: 'part' }>

interface Pending {
  readonly msgId: Uint8Array
  readonly timestamp: number
  readonly count: number
  readonly firstSeen: number
  readonly chunks: Array<Uint8Array | undefined>
  received: number
  bytes: number
}

export class Reassembler {
  private readonly now: () => number
  /** By hex message id, in order of first arrival (Map keeps insertion order). */
  private readonly messages = new Map<string, Pending>()

  constructor (opts: { now: () => number }) {
    this.now = opts.now
  }

  get pending (): number { return this.messages.size }

  /**
   * Feed a 'part' frame; returns the whole message when its last missing part
   * arrived, else null. Duplicate parts are ignored; a part whose count or
   * timestamp disagrees with earlier parts of the same id, a message longer
   * than MAX_MESSAGE_BYTES, or invalid UTF-8 → {@link ChatFrameError} (the
   * partial message is then dropped).
   */
  accept (part: Part): { msgId: Uint8Array, timestamp: number, text: string } | null {
    const key = toHex(part.msgId)
    let m = this.messages.get(key)
    if (m === undefined) {
      m = { msgId: part.msgId.slice(), timestamp: part.timestamp, count: part.count, firstSeen: this.now(), chunks: new Array<Uint8Array | undefined>(part.count), received: 0, bytes: 0 }
      this.messages.set(key, m)
      this.evictOverflow()
    } else if (m.count !== part.count || m.timestamp !== part.timestamp) {
      this.messages.delete(key)
      throw new ChatFrameError('chat part: count or timestamp disagrees with earlier parts')
    }
    if (part.index < 0 || part.index >= m.count || !Number.isInteger(part.index)) {
      this.messages.delete(key)
      throw new ChatFrameError('chat part: index out of range')
    }
    if (m.chunks[part.index] !== undefined) return null
    m.chunks[part.index] = part.chunk.slice()
    m.received++
    m.bytes += part.chunk.length
    if (m.bytes > MAX_MESSAGE_BYTES) {
      this.messages.delete(key)
      throw new ChatFrameError('chat message longer than MAX_MESSAGE_BYTES')
    }
    if (m.received < m.count) return null
    this.messages.delete(key)
    let text: string
    try {
      text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(concatBytes(...(m.chunks as Uint8Array[])))
    } catch {
      throw new ChatFrameError('chat message is not valid UTF-8')
    }
    return { msgId: m.msgId, timestamp: m.timestamp, text }
  }

  /** Drop partial messages older than REASSEMBLY_TIMEOUT_MS; also the oldest when more than MAX_PENDING_MESSAGES are pending. */
  prune (): void {
    const now = this.now()
    for (const [key, m] of this.messages) {
      if (now - m.firstSeen >= REASSEMBLY_TIMEOUT_MS) this.messages.delete(key)
    }
    this.evictOverflow()
  }

  private evictOverflow (): void {
    for (const key of this.messages.keys()) {
      if (this.messages.size <= MAX_PENDING_MESSAGES) break
      this.messages.delete(key)
    }
  }
}
