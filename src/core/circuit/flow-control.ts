/**
 * Circuit-level flow control: the SENDME windows (tor-spec §7.3–7.4, with
 * proposal 289's authenticated SENDMEs), one {@link FlowWindow} per circuit
 * per end, the way arti keeps them apart in `tor-proto/src/circuit/sendme.rs`.
 *
 * Why: without windows a fast sender makes every relay on the path buffer
 * without bound. Without authentication (prop 289) a client could send
 * SENDMEs for cells it never received and so turn a relay into an amplifier;
 * here each SENDME must carry the CGO tag of the cell that made it due
 * (prop 359 §"SENDME authentication").
 *
 * Only the counting lives here. Sending the SENDME, and what a window that
 * opens releases (waiting writers, an echo backlog), are the caller's.
 */
import { ctEqual } from '../bytes.ts'
import { ProtocolViolationError } from '../errors.ts'

/** Per-direction SENDME state of one circuit end. */
export class FlowWindow {
  /** Cells we may still send before a SENDME (tor-spec §7.3 package window). */
  package: number
  /** Cells the peer may still send us (deliver window). */
  deliver: number
  /** DATA cells received so far. */
  delivered = 0
  /** CGO tags of every `increment`-th cell we sent, awaiting their SENDME. */
  readonly expected: Uint8Array[] = []
  constructor (readonly window: number, readonly increment: number) {
    this.package = window
    this.deliver = window
  }

  /**
   * Count one DATA cell received; true when a SENDME is now due (every
   * `increment` cells). A peer past the window broke flow control.
   */
  countDelivered (): boolean {
    this.deliver--
    if (this.deliver < 0) throw new ProtocolViolationError('peer exceeded the circuit window (tor-spec §7.3)')
    if (++this.delivered % this.increment === 0) {
      this.deliver += this.increment
      return true
    }
    return false
  }

  /** Take a SENDME: it must carry the tag of the cell that triggered it (prop 289, prop 359). */
  acceptSendme (tag: Uint8Array): void {
    const expected = this.expected.shift()
    if (expected == null || !ctEqual(expected, tag)) throw new ProtocolViolationError('unauthenticated or unexpected SENDME')
    this.package += this.increment
    if (this.package > this.window) throw new ProtocolViolationError('SENDME overflowed the window')
  }
}
