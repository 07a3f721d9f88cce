/**
 * Channels, as in Tor (tor-spec §2 "connections", §4 "channels"): one long-lived
 * libp2p stream per neighbour, on its own protocol id, carrying the fixed-size
 * cells of *all* circuits through that neighbour, each cell tagged with its
 * circuit id. Building a circuit therefore costs no new stream or data channel,
 * and an observer of the link sees one flow, not one per circuit.
 *
 * This module only moves whole cells: bytes in are cut into CELL_SIZE cells,
 * cells out are taken from a {@link CellQueue} (the fair scheduler in
 * core/channel) and written in batches, respecting the stream's backpressure.
 * It never opens on a limited (relayed) connection: libp2p refuses streams on
 * such connections unless asked, and we never ask.
 */
import { Uint8ArrayList } from 'uint8arraylist'
import type { Stream } from '@libp2p/interface'
import { CELL_SIZE, CIRC_ID_LEN } from '../core/constants.ts'

/** 2.0.0: relay cells carry CGO (docs/PROTOCOL.md §5); 1.x tabs spoke tor1, so the two never open a channel to each other. */
export const CHANNEL_PROTOCOL = '/shallot/channel/2.0.0'

/**
 * Bytes of ours one @libp2p/webrtc message carries: its 16 KiB data-channel
 * message (MAX_MESSAGE_SIZE) less its protobuf framing (PROTOBUF_OVERHEAD, 7).
 * A larger write is split into several data-channel messages.
 */
export const WEBRTC_MESSAGE_PAYLOAD_MAX = 16 * 1024 - 7

/**
 * Most cells written to the stream in one message: as many as fit in one
 * WebRTC message (15 with 1026-byte cells). 16 cells (16,384 bytes) went out
 * as a 16,377-byte and a 7-byte message, and a relay then forwarded each
 * message's cells as its own batch (15 + 1): twice the messages per cell.
 */
export const CHANNEL_WRITE_BATCH_CELLS = Math.floor(WEBRTC_MESSAGE_PAYLOAD_MAX / CELL_SIZE)

/** Bytes of an incomplete cell we hold while waiting for the rest; more means a broken peer. */
const MAX_PARTIAL_BYTES = CELL_SIZE * CHANNEL_WRITE_BATCH_CELLS * 4

/** The outbound queue a channel drains: the fair scheduler, or a FIFO in tests. */
export interface CellQueue {
  enqueue(circId: number, cell: Uint8Array): void
  next(): Uint8Array | undefined
  readonly size: number
}

/** A plain FIFO CellQueue (no fairness), bounded. */
export class FifoCellQueue implements CellQueue {
  private readonly cells: Uint8Array[] = []
  constructor (private readonly limit = 4096) {}
  enqueue (_circId: number, cell: Uint8Array): void {
    if (this.cells.length >= this.limit) throw new ChannelError('channel queue full')
    this.cells.push(cell)
  }

  next (): Uint8Array | undefined { return this.cells.shift() }
  get size (): number { return this.cells.length }
}

export class ChannelError extends Error {
  readonly kind = 'channel' as const
  constructor (message: string) {
    super(message)
    this.name = 'ChannelError'
  }
}

export interface ChannelEvents {
  onCell(cell: Uint8Array): void
  onClose(err?: Error): void
}

export function circIdOf (cell: Uint8Array): number {
  return new DataView(cell.buffer, cell.byteOffset, CIRC_ID_LEN).getUint32(0)
}

export class Channel {
  private readonly inbound = new Uint8ArrayList()
  private flushing = false
  private flushScheduled = false
  private closed = false
  /** Bytes written and read, whole cells only: for tests and the circuit view. */
  cellsSent = 0
  cellsReceived = 0

  constructor (
    readonly stream: Stream,
    readonly remotePeer: string,
    private readonly queue: CellQueue,
    private readonly events: ChannelEvents
  ) {
    stream.addEventListener('message', (evt) => { this.onData(evt.data) })
    stream.addEventListener('close', (evt) => { this.onStreamClose((evt as { error?: Error }).error) })
    stream.addEventListener('drain', () => { void this.flush() })
    // close() on the other side is a half-close: treat it as the channel ending.
    stream.addEventListener('remoteCloseWrite', () => { this.close() })
  }

  get isOpen (): boolean {
    return !this.closed && this.stream.status === 'open'
  }

  /** Queue one whole cell for sending; the scheduler decides when. */
  send (cell: Uint8Array): void {
    if (this.closed) throw new ChannelError('channel closed')
    if (cell.length !== CELL_SIZE) throw new ChannelError(`cell must be ${CELL_SIZE} bytes`)
    this.queue.enqueue(circIdOf(cell), cell)
    // Flush after the current task's cells are queued, so a burst goes out as
    // one batched message instead of one WebRTC message per cell.
    if (!this.flushScheduled) {
      this.flushScheduled = true
      queueMicrotask(() => {
        this.flushScheduled = false
        void this.flush()
      })
    }
  }

  close (): void {
    if (this.closed) return
    void this.stream.close().catch(() => { this.stream.abort(new ChannelError('close failed')) })
    this.onStreamClose()
  }

  abort (err: Error): void {
    if (this.closed) return
    this.stream.abort(err)
    this.onStreamClose(err)
  }

  private onData (data: Uint8Array | Uint8ArrayList): void {
    if (this.closed) return
    this.inbound.append(data)
    while (this.inbound.byteLength >= CELL_SIZE) {
      const cell = this.inbound.subarray(0, CELL_SIZE)
      this.inbound.consume(CELL_SIZE)
      this.cellsReceived++
      try {
        this.events.onCell(cell)
      } catch {
        // A handler error is the circuit layer's to report; it must not kill the channel.
      }
    }
    if (this.inbound.byteLength > MAX_PARTIAL_BYTES) this.abort(new ChannelError('peer sent a runaway partial cell'))
  }

  private async flush (): Promise<void> {
    if (this.flushing || this.closed) return
    this.flushing = true
    try {
      while (!this.closed && this.queue.size > 0) {
        if (this.stream.writableNeedsDrain) return // resumed by the 'drain' event
        const batch: Uint8Array[] = []
        let cell: Uint8Array | undefined
        while (batch.length < CHANNEL_WRITE_BATCH_CELLS && (cell = this.queue.next()) != null) batch.push(cell)
        if (batch.length === 0) break
        const out = new Uint8Array(batch.length * CELL_SIZE)
        batch.forEach((c, i) => { out.set(c, i * CELL_SIZE) })
        this.cellsSent += batch.length
        this.stream.send(out)
      }
    } catch (err) {
      this.abort(err as Error)
    } finally {
      this.flushing = false
    }
  }

  private onStreamClose (err?: Error): void {
    if (this.closed) return
    this.closed = true
    this.events.onClose(err)
  }
}
