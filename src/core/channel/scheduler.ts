/**
 * The cell scheduler of one channel (the link to one neighbour): which
 * circuit's cell goes out next. Transport-agnostic — the net layer calls
 * {@link CellScheduler.enqueue} when a circuit has a cell for this neighbour
 * and {@link CellScheduler.next} whenever the link can take more.
 *
 * Fairness follows tor's EWMA circuit scheduler (circuitmux_ewma.c, from
 * Tang & Goldberg, "An improved algorithm for Tor circuit scheduling", CCS
 * 2010): each circuit keeps an exponentially weighted moving average of the
 * cells it has sent, decaying with a half-life; the circuit with queued cells
 * and the *lowest* average sends next. A chat circuit that sends a cell now
 * and then has an average near zero and jumps ahead of a bulk file transfer,
 * whose average is large — interactive traffic is not starved by bulk, and
 * bulk circuits still share the link evenly among themselves. Equal averages
 * (circuits that have not sent yet, or a half-life of 0) are served
 * round-robin: least recently served first.
 *
 * Implementation: tor rescales all circuits every tick; here a circuit's
 * stored value is kept relative to a reference time, so a cell sent at time t
 * adds 2^((t − ref)/halfLife) and uniform decay never reorders circuits; the
 * reference moves forward (rescaling every record) once in
 * {@link EWMA_REBASE_HALF_LIVES} half-lives so the numbers stay finite.
 * Choosing scans the circuits with queued cells: O(active circuits) per cell,
 * bounded by the circuit limits (a heap would be O(log n); not needed at our
 * sizes).
 *
 * Memory is bounded twice: per circuit ({@link MAX_CELLS_PER_CIRCUIT_QUEUE})
 * and per channel ({@link MAX_CELLS_PER_CHANNEL_QUEUE}); enqueueing beyond
 * either throws {@link QueueFullError} and stores nothing.
 */
import type { Clock } from '../clock.ts'
import { QueueFullError } from './errors.ts'
import { MAX_CELLS_PER_CHANNEL_QUEUE, MAX_CELLS_PER_CIRCUIT_QUEUE } from './limits.ts'

/**
 * EWMA half-life: a cell sent this long ago counts half as much as one sent
 * now. Tor's consensus default (param-spec CircuitPriorityHalflifeMsec) is
 * 30 s. 0 (or less) disables EWMA: plain round-robin, as in tor.
 */
export const DEFAULT_EWMA_HALF_LIFE_MS = 30_000

/** Rebase the EWMA reference time after this many half-lives (values stay below 2^64 × cells). */
export const EWMA_REBASE_HALF_LIVES = 64

/** An idle circuit (no queued cells) whose average has decayed below this is forgotten (it would rank like a new circuit anyway). */
export const EWMA_FORGET_BELOW = 1e-3

/** Compact a circuit's FIFO array once this many sent cells sit before its head. */
const COMPACT_AFTER = 1024

export interface CellSchedulerOptions {
  /** Time for EWMA decay. */
  readonly clock: Clock
  /** Per-circuit queue bound (default {@link MAX_CELLS_PER_CIRCUIT_QUEUE}). */
  readonly maxCellsPerCircuit?: number
  /** Per-channel bound across circuits (default {@link MAX_CELLS_PER_CHANNEL_QUEUE}). */
  readonly maxCellsPerChannel?: number
  /** EWMA half-life in ms (default {@link DEFAULT_EWMA_HALF_LIFE_MS}); ≤ 0 means round-robin. */
  readonly halfLifeMs?: number
}

interface CircuitRecord {
  readonly circId: number
  /** FIFO: cells[head..] are queued. */
  cells: Uint8Array[]
  head: number
  /** EWMA in reference-time units (see module doc). */
  scaled: number
  /** Service order for round-robin tie-breaks: smaller = served longer ago. */
  lastServed: number
}

export class CellScheduler {
  private readonly clock: Clock
  private readonly maxPerCircuit: number
  private readonly maxPerChannel: number
  private readonly halfLifeMs: number
  private readonly records = new Map<number, CircuitRecord>()
  /** Circuits with at least one queued cell. */
  private readonly active = new Map<number, CircuitRecord>()
  private total = 0
  private serveCounter = 0
  private refTime: number
  private lastTime: number

  constructor (opts: CellSchedulerOptions) {
    this.clock = opts.clock
    this.maxPerCircuit = opts.maxCellsPerCircuit ?? MAX_CELLS_PER_CIRCUIT_QUEUE
    this.maxPerChannel = opts.maxCellsPerChannel ?? MAX_CELLS_PER_CHANNEL_QUEUE
    this.halfLifeMs = opts.halfLifeMs ?? DEFAULT_EWMA_HALF_LIFE_MS
    if (!Number.isInteger(this.maxPerCircuit) || this.maxPerCircuit < 1) throw new RangeError('CellScheduler: maxCellsPerCircuit must be a positive integer')
    if (!Number.isInteger(this.maxPerChannel) || this.maxPerChannel < 1) throw new RangeError('CellScheduler: maxCellsPerChannel must be a positive integer')
    if (!Number.isFinite(this.halfLifeMs)) throw new RangeError('CellScheduler: halfLifeMs must be finite')
    this.refTime = this.lastTime = opts.clock.now()
  }

  /** Cells queued on this channel, all circuits. */
  get size (): number { return this.total }

  /** Circuits with queued cells. */
  get activeCircuits (): number { return this.active.size }

  /** Cells queued for one circuit. */
  queued (circId: number): number {
    const r = this.active.get(circId)
    return r == null ? 0 : r.cells.length - r.head
  }

  /**
   * Queue a cell for `circId`. Throws {@link QueueFullError} (and stores
   * nothing) when the circuit's or the channel's bound is reached.
   */
  enqueue (circId: number, cell: Uint8Array): void {
    if (!Number.isInteger(circId) || circId < 0 || circId > 0xffff_ffff) throw new RangeError('CellScheduler: circId must be a u32')
    if (this.total >= this.maxPerChannel) throw new QueueFullError('channel', circId, this.maxPerChannel)
    let r = this.records.get(circId)
    if (r != null && r.cells.length - r.head >= this.maxPerCircuit) throw new QueueFullError('circuit', circId, this.maxPerCircuit)
    if (r == null) {
      r = { circId, cells: [], head: 0, scaled: 0, lastServed: this.serveCounter++ }
      this.records.set(circId, r)
    }
    r.cells.push(cell)
    this.total++
    this.active.set(circId, r)
  }

  /** The next cell to write, or undefined when nothing is queued. */
  next (): Uint8Array | undefined {
    if (this.total === 0) return undefined
    const now = this.tick()
    let best: CircuitRecord | undefined
    for (const r of this.active.values()) {
      if (best == null || r.scaled < best.scaled || (r.scaled === best.scaled && r.lastServed < best.lastServed)) best = r
    }
    if (best == null) return undefined
    const cell = best.cells[best.head] as Uint8Array
    best.cells[best.head] = EMPTY
    best.head++
    this.total--
    best.lastServed = this.serveCounter++
    if (this.halfLifeMs > 0) best.scaled += 2 ** ((now - this.refTime) / this.halfLifeMs)
    if (best.head === best.cells.length) {
      best.cells = []
      best.head = 0
      this.active.delete(best.circId)
    } else if (best.head >= COMPACT_AFTER && best.head * 2 >= best.cells.length) {
      best.cells = best.cells.slice(best.head)
      best.head = 0
    }
    return cell
  }

  /** Forget a circuit (destroyed): its queued cells are dropped. Returns how many. */
  dropCircuit (circId: number): number {
    const r = this.records.get(circId)
    if (r == null) return 0
    const dropped = r.cells.length - r.head
    this.total -= dropped
    this.records.delete(circId)
    this.active.delete(circId)
    return dropped
  }

  /** The circuit with the most queued cells (the one to destroy under memory pressure), or undefined. */
  heaviestCircuit (): number | undefined {
    let best: CircuitRecord | undefined
    for (const r of this.active.values()) if (best == null || r.cells.length - r.head > best.cells.length - best.head) best = r
    return best?.circId
  }

  /** The circuit's current EWMA cell count (decayed to now); 0 for unknown circuits or round-robin. */
  ewma (circId: number): number {
    const r = this.records.get(circId)
    if (r == null || this.halfLifeMs <= 0) return 0
    const now = Math.max(this.clock.now(), this.lastTime)
    return r.scaled * 2 ** (-(now - this.refTime) / this.halfLifeMs)
  }

  /** Read the clock (never backwards), rebasing the EWMA reference when due. */
  private tick (): number {
    const now = Math.max(this.clock.now(), this.lastTime)
    this.lastTime = now
    if (this.halfLifeMs > 0 && now - this.refTime > EWMA_REBASE_HALF_LIVES * this.halfLifeMs) {
      const factor = 2 ** (-(now - this.refTime) / this.halfLifeMs)
      for (const [id, r] of this.records) {
        r.scaled *= factor
        if (r.scaled < EWMA_FORGET_BELOW && r.head === r.cells.length) this.records.delete(id)
      }
      this.refTime = now
    }
    return now
  }
}

const EMPTY = new Uint8Array(0)
