/**
 * The link layer under the onion router: at most one live channel per
 * neighbour (see channel.ts), opened on demand over a *direct* WebRTC
 * connection. Extending a circuit to a tab we are not yet connected to first
 * opens a direct WebRTC connection to it (the injected `connect`: the
 * network's dialer, which signals through a neighbour when it can and delays
 * circuit dials at random, dialer.ts), then the channel stream.
 *
 * Cells that arrive are handed to the {@link CellSink} (the onion router in
 * core) with the neighbour's peer id; a channel closing is reported too, so the
 * router can tear down the circuits that crossed it (tor-spec §5.4).
 */
import { peerIdFromString } from '@libp2p/peer-id'
import type { Connection, Stream } from '@libp2p/interface'
import { Channel, CHANNEL_PROTOCOL, FifoCellQueue, type CellQueue } from './channel.ts'
import type { TabNode } from './node.ts'

/** Where inbound cells go: the onion router. */
export interface CellSink {
  handleCell(from: string, cell: Uint8Array): void
  handleLinkClosed(peer: string): void
}

/** Time allowed to open a channel, including a fresh WebRTC connection. */
export const CHANNEL_OPEN_TIMEOUT_MS = 30_000

/** Most channels (neighbours carrying circuits) a tab keeps open. */
export const MAX_CHANNELS = 64

/** No channel to a peer could be had: refused, self, too many, or only a relayed connection. */
export class ChannelUnavailableError extends Error {
  readonly kind = 'channel-unavailable' as const
  constructor (message: string) {
    super(message)
    this.name = 'ChannelUnavailableError'
  }
}

/** True when `err` is a {@link ChannelUnavailableError}, told by its kind. */
export function isChannelUnavailableError (err: unknown): err is ChannelUnavailableError {
  return err instanceof Error && (err as { kind?: unknown }).kind === 'channel-unavailable'
}

export interface ChannelManagerOptions {
  node: TabNode
  sink: CellSink
  isDirect(connection: Connection): boolean
  /** A direct WebRTC connection to `peer`, opened if needed (Network.connect with purpose 'circuit'). */
  connect(peer: string, signal: AbortSignal): Promise<Connection>
  newQueue?(): CellQueue
  /** Every cell written or read, for tests that record what a relay forwards. */
  onFrame?(direction: 'in' | 'out', peer: string, cell: Uint8Array): void
}

export class ChannelManager {
  /** Open channels per neighbour; normally one, two when both sides opened at once. */
  private readonly channels = new Map<string, Channel[]>()
  private readonly opening = new Map<string, Promise<Channel>>()

  constructor (private readonly opts: ChannelManagerOptions) {}

  async start (): Promise<void> {
    await this.opts.node.handle(CHANNEL_PROTOCOL, (stream: Stream, connection: Connection) => {
      // libp2p already refuses this protocol on limited (relayed) connections;
      // check again so a misconfiguration cannot route cells through a bootstrap relay.
      if (!this.opts.isDirect(connection) || this.channels.size >= MAX_CHANNELS) {
        stream.abort(new ChannelUnavailableError('channel refused'))
        return
      }
      this.adopt(connection.remotePeer.toString(), stream)
    })
  }

  async stop (): Promise<void> {
    await this.opts.node.unhandle(CHANNEL_PROTOCOL)
    for (const list of this.channels.values()) for (const ch of list) ch.close()
    this.channels.clear()
  }

  get size (): number {
    return this.channels.size
  }

  has (peer: string): boolean {
    return this.current(peer) != null
  }

  private current (peer: string): Channel | undefined {
    // The oldest open channel carries our cells: switching to a newer one
    // could let a circuit's later cells overtake earlier ones still queued on
    // the old stream, which the running digest would reject.
    return this.channels.get(peer)?.find(ch => ch.isOpen)
  }

  /** Send a cell to a neighbour over its channel. */
  send (peer: string, cell: Uint8Array): void {
    const ch = this.current(peer)
    if (ch == null) throw new ChannelUnavailableError('no channel to that peer')
    this.opts.onFrame?.('out', peer, cell)
    ch.send(cell)
  }

  /** Whether a channel to `peer` is being opened (its connection may be up before any circuit uses it). */
  isOpening (peer: string): boolean {
    return this.opening.has(peer)
  }

  /** Make sure a channel to `peer` exists, opening a direct connection first if needed. */
  async connect (peer: string): Promise<void> {
    if (this.has(peer)) return
    let pending = this.opening.get(peer)
    if (pending == null) {
      pending = this.open(peer).finally(() => { this.opening.delete(peer) })
      this.opening.set(peer, pending)
    }
    await pending
  }

  private async open (peer: string): Promise<Channel> {
    const { node } = this.opts
    if (peer === node.peerId.toString()) throw new ChannelUnavailableError('cannot open a channel to self')
    if (this.channels.size >= MAX_CHANNELS) throw new ChannelUnavailableError('too many channels')
    const signal = AbortSignal.timeout(CHANNEL_OPEN_TIMEOUT_MS)
    const peerId = peerIdFromString(peer)
    const conn = node.getConnections(peerId).find(c => this.opts.isDirect(c)) ?? await this.opts.connect(peer, signal)
    if (!this.opts.isDirect(conn)) throw new ChannelUnavailableError('only a relayed connection could be made')
    const stream = await conn.newStream(CHANNEL_PROTOCOL, { signal })
    return this.adopt(peer, stream)
  }

  private adopt (peer: string, stream: Stream): Channel {
    const channel = new Channel(stream, peer, this.opts.newQueue?.() ?? new FifoCellQueue(), {
      onCell: (cell) => {
        this.opts.onFrame?.('in', peer, cell)
        this.opts.sink.handleCell(peer, cell)
      },
      onClose: () => {
        const rest = (this.channels.get(peer) ?? []).filter(ch => ch !== channel && ch.isOpen)
        if (rest.length > 0) {
          this.channels.set(peer, rest)
        } else {
          // The link to this neighbour is gone: the router destroys the circuits through it.
          this.channels.delete(peer)
          this.opts.sink.handleLinkClosed(peer)
        }
      }
    })
    // Both sides may open a channel at once; both stay usable (cells from
    // either reach the router under the same neighbour), the oldest carries ours.
    this.channels.set(peer, [...(this.channels.get(peer) ?? []), channel])
    return channel
  }
}
