/**
 * Every number the onion-service layer (docs/RENDEZVOUS.md) depends on, in one
 * place, and the time-period arithmetic of spec §2. Periods are Shallot's
 * version of rend-spec-v3 §2.2.1 time periods: shorter (1 h instead of 24 h)
 * because a descriptor describes a browser tab, which comes and goes.
 */
import { NODE_ID_LEN } from '../cell/messages.ts'
import { RELAY_DATA_MAX } from '../cell/relay.ts'

/** Length of one time period (spec §2; rend-spec-v3 §2.2.1 uses 24 h). */
export const HS_PERIOD_MS = 3_600_000
/** At the edges of a period services publish for, and clients look up, the neighbouring period too (spec §2). */
export const HS_PERIOD_OVERLAP_MS = 600_000
/** hsIndex replicas on the hash ring (spec §3; rend-spec-v3 §2.2.3 hsdir_n_replicas). */
export const HSDIR_REPLICAS = 2
/** Relays taken per replica (spec §3; rend-spec-v3 §2.2.3 hsdir_spread_store). */
export const HSDIR_SPREAD = 2
/** A service republishes its descriptor at least this often (spec §3). */
export const HS_REPUBLISH_MS = 300_000
/**
 * ...and at a random time no sooner than this after its last upload, drawn
 * afresh for each period's descriptor (spec §4 "Timing"), so the upload
 * schedule does not carry the tab's start time. Tor draws each descriptor's
 * next upload uniformly in [60, 120] min (hs_service.c,
 * HS_SERVICE_NEXT_UPLOAD_TIME_MIN/MAX); ours is the same ratio, shorter.
 */
export const HS_REPUBLISH_MIN_MS = HS_REPUBLISH_MS / 2
/**
 * A started service waits a random 0..this before its first upload (spec §4
 * "Timing"), so its descriptor's first appearance is not the tab's start.
 * Short: a contact cannot reach the service before it.
 */
export const HS_FIRST_PUBLISH_DELAY_MAX_MS = 15_000
/** Resolution of the time a revision counter encodes (spec §4; rend-spec-v3 revision-counter-mgt uses seconds). */
export const HS_REVISION_STEP_MS = 1_000
/** The per-period secret offset of a revision counter is uniform in [0, this) (spec §4). */
export const HS_REVISION_OFFSET_RANGE = 2 ** 48
/** Largest encoded descriptor: with HSDIR_FOUND's flag byte it must fit one relay cell (spec §4): 999. */
export const HS_DESCRIPTOR_MAX = RELAY_DATA_MAX - 1
/** Descriptors an HSDir keeps per descriptor id, one per signing key, so squatters cannot hide the real one (spec §4). */
export const HSDIR_KEYS_PER_ID = 4
/** Descriptors an HSDir holds in total (spec §4). */
export const HSDIR_MAX_DESCRIPTORS = 1024
/** Introduction points a service establishes (spec §1; at most this many in a descriptor). */
export const INTRO_POINTS = 3
/** Length of an introduction point's auth id (spec §1, §5). */
export const AUTH_ID_LEN = 32
/** Length of a rendezvous cookie (spec §5; rend-spec-v3 §4.1 RENDEZVOUS_COOKIE). */
export const COOKIE_LEN = 20
/** Every end-to-end frame is exactly this long: one full DATA cell (RELAY_DATA_MAX = 1000, spec §7). */
export const E2E_FRAME_LEN = RELAY_DATA_MAX
/** Largest payload of one end-to-end frame: frame − 16-byte tag − u16 length (spec §7): 982. */
export const E2E_PAYLOAD_MAX = E2E_FRAME_LEN - 16 - 2
/** Largest |now − timestamp| a service accepts in an INTRODUCE (spec §6). */
export const INTRODUCE_MAX_SKEW_MS = 600_000
/** Largest expires − now an HSDir accepts (spec §4: two periods). */
export const HS_DESCRIPTOR_LIFETIME_MS = 2 * HS_PERIOD_MS

/** Descriptor format version (spec §4). */
export const HS_DESCRIPTOR_VERSION = 1
/**
 * INTRODUCE plaintext version (spec §6): 2 added the invite-proof field, and
 * the client authenticates by DH (static key, certificate, MAC) instead of a signature.
 */
export const INTRODUCE_VERSION = 2
/** An invite proof: HMAC-SHA256 output (spec §6 "Invite proof"; RFC 2104). */
export const INVITE_PROOF_LEN = 32
/** Longest peer id (UTF-8 bytes) in a descriptor or an INTRODUCE (spec §4, §6). */
export const PEER_ID_MAX_LEN = 128
/** Longest client display name (UTF-8 bytes) in an INTRODUCE (spec §6; same as identity/names.ts). */
export const CLIENT_NAME_MAX_LEN = 64
/** Length of a relay node id (SHA-256 of its identity key, PROTOCOL.md). */
export const HS_NODE_ID_LEN = NODE_ID_LEN
/** Ed25519 public key / signature lengths (RFC 8032 §5.1.5, §5.1.6). */
export const ED25519_KEY_LEN = 32
export const ED25519_SIG_LEN = 64
/** X25519 public key length (RFC 7748 §5). */
export const X25519_LEN = 32
/** Descriptor id and descriptor key lengths (spec §3). */
export const DESC_ID_LEN = 32
export const DESC_KEY_LEN = 32
/** XChaCha20-Poly1305 nonce (draft-irtf-cfrg-xchacha §2) and Poly1305 tag (RFC 8439 §2.8) lengths. */
export const XNONCE_LEN = 24
export const AEAD_TAG_LEN = 16
/** HMAC-SHA256 tag length (RFC 2104 with SHA-256): the INTRODUCE MAC and the service's key confirmation (spec §6). */
export const MAC_LEN = 32
/** RENDEZVOUS1 reply: Y | key-confirmation MAC = 32 + 32 (spec §6). */
export const RENDEZVOUS_REPLY_LEN = X25519_LEN + MAC_LEN
/** Default size of an INTRODUCE replay cache (entries, FIFO eviction; spec §6). */
export const REPLAY_CACHE_MAX = 4096

/**
 * The status byte of INTRODUCE_ACK and HSDIR_STORED (spec §5): OK, or
 * REFUSED (no such introduction point or over its rate; a descriptor not kept).
 */
export const ControlStatus = { OK: 0, REFUSED: 1 } as const

/** The time period containing `nowMs`: floor(now / HS_PERIOD_MS) (spec §2). */
export function hsPeriod (nowMs: number): number {
  return Math.floor(nowMs / HS_PERIOD_MS)
}

/** Milliseconds since the start of the period containing `nowMs`. */
function intoPeriod (nowMs: number): number {
  return nowMs - hsPeriod(nowMs) * HS_PERIOD_MS
}

/**
 * Periods a client should try for a lookup at nowMs: current first, then the
 * adjacent one when within the overlap (spec §2): the previous period in the
 * first HS_PERIOD_OVERLAP_MS of a period (the service's clock may lag), the
 * next one in the last HS_PERIOD_OVERLAP_MS (its clock may run ahead).
 */
export function lookupPeriods (nowMs: number): number[] {
  const p = hsPeriod(nowMs)
  const into = intoPeriod(nowMs)
  if (into < HS_PERIOD_OVERLAP_MS) return [p, p - 1]
  if (into >= HS_PERIOD_MS - HS_PERIOD_OVERLAP_MS) return [p, p + 1]
  return [p]
}

/** Periods a service should publish for at nowMs: current, plus next within the last overlap of a period (spec §2). */
export function publishPeriods (nowMs: number): number[] {
  const p = hsPeriod(nowMs)
  return intoPeriod(nowMs) >= HS_PERIOD_MS - HS_PERIOD_OVERLAP_MS ? [p, p + 1] : [p]
}
