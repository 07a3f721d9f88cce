/**
 * A seeded, in-memory network of onion-router nodes for tests and simulation
 * (the way arti tests tor-proto with tor-rtmock): links carry whole cells with a
 * per-link latency drawn from the seeded RNG, delivered in virtual time by a
 * single event queue, so a run is reproducible from its seed. Nodes can leave
 * (all their links close, neighbours are told) to simulate tabs closing.
 */

/** What a node's router gets from the network. */
export interface CellSink {
  handleCell(from: string, cell: Uint8Array): void
  handleLinkClosed(peer: string): void
}

/** What a node's router uses to talk to its neighbours (same shape as net's ChannelManager). */
export interface LinkLayer {
  send(peer: string, cell: Uint8Array): void
  connect(peer: string): Promise<void>
  has(peer: string): boolean
}

export class LinkUnavailableError extends Error {
  readonly kind = 'link-unavailable' as const
  constructor (message: string) {
    super(message)
    this.name = 'LinkUnavailableError'
  }
}

interface Event { at: number, seq: number, run: () => void }

/** Deterministic PRNG (mulberry32): test-only randomness for latencies and choices. */
export function seededRandom (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export interface MemoryNetworkOptions {
  seed: number
  /** One-way link latency range, virtual ms. */
  minLatencyMs?: number
  maxLatencyMs?: number
  /** Virtual ms a link takes to open (a WebRTC set-up). */
  connectMs?: number
}

export class MemoryNetwork {
  readonly random: () => number
  private now = 0
  private seq = 0
  private readonly queue: Event[] = []
  private readonly sinks = new Map<string, CellSink>()
  private readonly links = new Map<string, Map<string, number>>() // node → neighbour → latency
  /** Every cell put on any link: [from, to, cell]; for tests that inspect the wire. */
  readonly wire: Array<{ from: string, to: string, cell: Uint8Array }> = []
  recordWire = false

  constructor (private readonly opts: MemoryNetworkOptions) {
    this.random = seededRandom(opts.seed)
  }

  get time (): number {
    return this.now
  }

  /** Virtual clock for the nodes: `() => network.time`. */
  clock = (): number => this.now

  addNode (id: string, sink: CellSink): LinkLayer {
    if (this.sinks.has(id)) throw new Error(`node ${id} exists`)
    this.sinks.set(id, sink)
    this.links.set(id, new Map())
    return {
      send: (peer, cell) => { this.send(id, peer, cell) },
      connect: async (peer) => { await this.connect(id, peer) },
      has: (peer) => this.links.get(id)?.has(peer) === true
    }
  }

  hasNode (id: string): boolean {
    return this.sinks.has(id)
  }

  nodes (): string[] {
    return [...this.sinks.keys()]
  }

  /** A node leaves: its links close; each neighbour learns after one latency. */
  removeNode (id: string): void {
    const neighbours = this.links.get(id)
    if (neighbours == null) return
    this.sinks.delete(id)
    this.links.delete(id)
    for (const [peer, latency] of neighbours) {
      this.links.get(peer)?.delete(id)
      this.schedule(latency, () => { this.sinks.get(peer)?.handleLinkClosed(id) })
    }
  }

  /** Run a callback after `ms` virtual ms (timers for the nodes). */
  schedule (ms: number, run: () => void): void {
    const event = { at: this.now + ms, seq: this.seq++, run }
    // Binary insertion keeps (at, seq) order: same-latency cells on a link stay FIFO.
    let lo = 0
    let hi = this.queue.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      const e = this.queue[mid]!
      if (e.at < event.at || (e.at === event.at && e.seq < event.seq)) lo = mid + 1
      else hi = mid
    }
    this.queue.splice(lo, 0, event)
  }

  /** Process events until none is left or virtual time passes `until`. Returns events run. */
  run (until = Number.POSITIVE_INFINITY, maxEvents = 10_000_000): number {
    let n = 0
    while (this.queue.length > 0 && n < maxEvents) {
      const next = this.queue[0]!
      if (next.at > until) break
      this.queue.shift()
      this.now = next.at
      next.run()
      n++
    }
    if (until !== Number.POSITIVE_INFINITY && this.now < until) this.now = until
    return n
  }

  /** Run events while `done()` is false (and something is queued). */
  async runUntil (done: () => boolean, limitMs = 600_000): Promise<void> {
    const deadline = this.now + limitMs
    while (!done() && this.queue.length > 0 && this.now <= deadline) {
      this.run(this.queue[0]!.at)
      // Let promise continuations of the nodes run between virtual events.
      for (let i = 0; i < 32; i++) await Promise.resolve()
    }
  }

  private latency (): number {
    const min = this.opts.minLatencyMs ?? 1
    const max = this.opts.maxLatencyMs ?? 20
    return min + this.random() * (max - min)
  }

  private async connect (from: string, to: string): Promise<void> {
    if (from === to) throw new LinkUnavailableError('no link to self')
    if (this.links.get(from)?.has(to) === true) return
    await new Promise<void>((resolve, reject) => {
      this.schedule(this.opts.connectMs ?? 30, () => {
        const mine = this.links.get(from)
        const theirs = this.links.get(to)
        if (mine == null || theirs == null) {
          reject(new LinkUnavailableError('peer is gone'))
          return
        }
        const latency = this.latency()
        mine.set(to, latency)
        theirs.set(from, latency)
        resolve()
      })
    })
  }

  private send (from: string, to: string, cell: Uint8Array): void {
    const latency = this.links.get(from)?.get(to)
    if (latency == null) throw new LinkUnavailableError('no link to that peer')
    const copy = cell.slice()
    // Recorded separately: the receiver may decrypt its copy in place.
    if (this.recordWire) this.wire.push({ from, to, cell: cell.slice() })
    this.schedule(latency, () => {
      // Cells in flight when a node leaves are lost, as on a real link.
      if (this.links.get(to)?.has(from) === true) this.sinks.get(to)?.handleCell(from, copy)
    })
  }
}
