/**
 * The channel layer's queue bounds: how many cells may wait for one
 * neighbour, per circuit and per channel (DESIGN.md §4 "Relay duty": relay
 * within limits, and drop relay work before the user's own experience
 * suffers). The channel scheduler in this folder enforces them. The circuit
 * layer's limits (circuit counts, CREATE rate, SENDME windows, idle timeout)
 * are in ../circuit/limits.ts, which these follow from.
 */
import { CIRCUIT_WINDOW, SENDME_INCREMENT } from '../circuit/limits.ts'

/**
 * Cells one circuit may have queued on one channel. A sender that respects
 * the window never has more than {@link CIRCUIT_WINDOW} data cells in flight,
 * plus a few control cells (SENDME, DESTROY), so a full window plus one
 * increment of slack never overflows an honest circuit; more means the peer
 * ignores flow control and the circuit is torn down (tor kills such circuits
 * too, with a much larger limit, circ_max_cell_queue_size).
 */
export const MAX_CELLS_PER_CIRCUIT_QUEUE = CIRCUIT_WINDOW + SENDME_INCREMENT

/**
 * Cells queued on one channel across all its circuits: 4096 cells ≈ 4 MiB at
 * 1026-byte cells. Several full windows could exceed it when the neighbour
 * reads slowly; then the net layer destroys the circuit with the most queued
 * cells ({@link CellScheduler.heaviestCircuit}, like tor's OOM handler) rather
 * than grow memory.
 */
export const MAX_CELLS_PER_CHANNEL_QUEUE = 4096
