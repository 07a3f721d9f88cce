/**
 * The onion router's vocabulary: what it needs from the world (a
 * {@link LinkLayer}, a clock, randomness), what it is told about relays
 * ({@link RelayInfo}, from verified descriptors), and what it reports (events
 * and stats, counts only: never keys, payloads or who talked to whom).
 *
 * Kept apart from the state machine so that the transport (net), the app and
 * the tests can name these types without pulling in the router itself.
 */
import { RelayCommand, type DestroyReason } from '../cell/index.ts'
import type { NtorSecretKey, X25519Dh } from '../crypto/index.ts'
import type { ProtocolError } from '../errors.ts'
import type { RandomSource } from '../random.ts'
import type { HsDirHooks } from '../rendezvous/relay-roles.ts'
import type { RouterLimits } from './limits.ts'

/**
 * Relay commands a client sends to the last hop of its circuit for an
 * onion-service role there (introduction point, rendezvous point, HSDir;
 * rend-spec-v3 §3–4): what {@link ClientCircuit.sendControl} may send and what
 * the relay hands to its roles (relay-cells.ts).
 */
export const ROLE_REQUEST_COMMANDS: ReadonlySet<number> = new Set([
  RelayCommand.ESTABLISH_INTRO, RelayCommand.INTRODUCE1, RelayCommand.ESTABLISH_RENDEZVOUS, RelayCommand.RENDEZVOUS1,
  RelayCommand.HSDIR_STORE, RelayCommand.HSDIR_FETCH
])

/** What the router needs from the transport (net's ChannelManager, or the in-memory network). */
export interface LinkLayer {
  send(peer: string, cell: Uint8Array): void
  connect(peer: string): Promise<void>
  has(peer: string): boolean
}

/** A relay as the client knows it from its verified descriptor. */
export interface RelayInfo {
  readonly peerId: string
  readonly nodeId: Uint8Array
  readonly onionKey: Uint8Array
}

export interface RouterOptions {
  /** This peer's transport id (never the user's identity). */
  peerId: string
  /** Onion keys this relay answers CREATE with (current, and previous during rotation). */
  onionKeys: NtorSecretKey[]
  links: LinkLayer
  /**
   * The node id a peer id commits to (SHA-256 of the Ed25519 key inside it,
   * crypto/nodeIdFromIdentityKey), or null for a peer id without one: a relay
   * extends only to the peer an onionskin is for (relay-cells.ts).
   */
  nodeIdOfPeer: (peerId: string) => Uint8Array | null
  random: RandomSource
  /** Milliseconds, monotonic. */
  now: () => number
  /** Run `fn` after `ms`; returns a cancel function. */
  setTimer: (ms: number, fn: () => void) => () => void
  limits?: Partial<RouterLimits>
  /** X25519 for the ntor handshakes (default noble; browsers pass Web Crypto's, which is several times faster). */
  dh?: X25519Dh
  /** Observability hook: counts only, never keys or payloads. */
  onEvent?: (event: RouterEvent) => void
  /**
   * The descriptors this tab holds as an HSDir (core/rendezvous HsDirStore);
   * without it HSDIR_STORE is refused and HSDIR_FETCH finds nothing.
   */
  hsdir?: HsDirHooks
}

export type RouterEvent =
  | { type: 'relay-circuit-opened' }
  | { type: 'relay-circuit-closed', reason: DestroyReason }
  | { type: 'protocol-error', kind: ProtocolError['kind'] }

export interface RouterStats {
  relayCircuits: number
  clientCircuits: number
  cellsRelayed: number
  protocolErrors: number
}

export type HopState = 'waiting' | 'extending' | 'open' | 'failed'

export interface BuildOptions {
  /** A service whose client chose this very tab as rendezvous point: the last hop may be this tab (docs/RENDEZVOUS.md §1). */
  lastHopMayBeSelf?: boolean
  /** Extend hop by hop with EXTEND cells even where an onward header could carry the path (tests; comparisons). */
  telescope?: boolean
}

export interface BuildProgress {
  readonly hop: number
  readonly state: HopState
}

/** One end of a circuit on one link: circuit ids are per link (tor-spec §5.1.1). */
export interface Side { readonly peer: string, readonly circId: number }

/** The circuit table's key for a circuit id on the link to `peer`. */
export const keyOf = (peer: string, circId: number): string => `${circId}@${peer}`
