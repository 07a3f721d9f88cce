/**
 * One end-to-end chat session over a joined rendezvous circuit: every payload
 * is sealed into a fixed-size frame (docs/RENDEZVOUS.md §7) and sent as one
 * DATA cell on the session stream; frames that fail to open close the session
 * (fail closed), and so does the circuit closing.
 */
import { E2eSession } from '../../core/rendezvous/index.ts'
import { KEEPALIVE_MS, type RendezvousLink } from '../onion-service/index.ts'

/** The stream both ends of a joined circuit use (no BEGIN: the RP relays DATA between the circuits). */
export const SESSION_STREAM_ID = 1

export class ChatLink {
  private readonly session: E2eSession
  private closed = false
  /** The last send: the next one starts after it. */
  private tail: Promise<void> = Promise.resolve()
  private readonly keepalive: ReturnType<typeof setInterval>
  readonly openedAt = Date.now()
  /** When the last frame arrived (ms, Date.now), or the session opened. */
  lastReceivedAt = this.openedAt

  constructor (readonly link: RendezvousLink, onPayload: (payload: Uint8Array, from: ChatLink) => void, private readonly onClosed: (from: ChatLink) => void) {
    this.session = new E2eSession(link.keys)
    link.circuit.attachStream(SESSION_STREAM_ID, (frame) => {
      if (this.closed) return
      let payload: Uint8Array
      try {
        payload = this.session.open(frame)
      } catch {
        this.close() // tampered or out of order: the session is over
        return
      }
      this.lastReceivedAt = Date.now()
      onPayload(payload, this)
    }, () => { this.close() })
    link.circuit.onClose(() => { this.close() })
    this.keepalive = setInterval(() => { link.circuit.keepAlive() }, KEEPALIVE_MS)
  }

  get live (): boolean { return !this.closed && this.link.circuit.state === 'open' }

  /**
   * Seal and write one payload. Sends are serialized: each frame is sealed
   * only when the previous one was written, so frames reach the circuit in
   * counter order (the receiver closes the session on any other order, §7)
   * even when a write waits for window. A failed write closes the link: the
   * counters of the two ends no longer agree.
   */
  async send (payload: Uint8Array): Promise<void> {
    if (!this.live) throw new Error('session closed')
    const run = this.tail.then(async () => {
      if (!this.live) throw new Error('session closed')
      try {
        await this.link.circuit.write(SESSION_STREAM_ID, this.session.seal(payload))
      } catch (err) {
        this.close()
        throw err
      }
    })
    this.tail = run.catch(() => {})
    await run
  }

  close (): void {
    if (this.closed) return
    this.closed = true
    clearInterval(this.keepalive)
    this.session.wipe()
    if (this.link.circuit.state !== 'closed') this.link.circuit.destroy()
    this.onClosed(this)
  }
}
