/**
 * Chat's rules in numbers: how often it looks for work, how it retries, when
 * a session is presumed dead, and how much an unknown key may make us keep
 * (contact requests). Each says the threat or the failure it bounds.
 */
import { MAX_DISPLAY_NAME_BYTES } from '../../core/identity/names.ts'

/** How often the service looks for work (messages to send, links to make, timeouts). */
export const CHAT_TICK_MS = 1_000
/** Reconnection backoff per contact: first retry after 1 s, at most every 10 s (jittered). */
export const RECONNECT_BASE_MS = 1_000
export const RECONNECT_MAX_MS = 10_000
/** Consecutive rendezvous answers that fail to prove the contact's key before the conversation shows a warning. */
export const AUTH_FAILURES_BEFORE_WARNING = 3
export const IDENTITY_UNPROVEN_WARNING = 'Shallot could not confirm that the answers come from this contact\'s key. Someone may be impersonating them; nothing was sent.'
/** A session with a message unacknowledged this long, and nothing received since it was sent, is given up (see isStalled in ./conversation.ts). */
export const STALL_MS = 4_000
/** When reaching a contact takes longer than this, a second attempt starts beside the first (./hedge.ts); a normal one takes well under a second. */
export const CONNECT_HEDGE_MS = 4_000
/**
 * A late copy (a retransmission, a second link) may be placed before the
 * sender's own messages that arrived at most this long before it, in the
 * sender's order (its `sentAt`); never further back, and never by a clock
 * claim alone (issue #13 item 7: order on screen is the receiver's).
 */
export const SENDER_REORDER_WINDOW_MS = 60_000
/** Sessions kept per contact (two appear when both sides connect at once). */
export const MAX_LINKS_PER_CONTACT = 2
/**
 * Contact requests (someone with our invite, state 'request') kept unanswered
 * at once. Anyone holding the invite can make a new identity key per
 * introduction; beyond this, introductions from unknown keys are dropped
 * (no contact stored, no circuit built) until the user answers some.
 */
export const MAX_PENDING_REQUESTS = 16
/**
 * Longest name a contact request may carry, in UTF-8 bytes: a request is kept
 * (encrypted) until the user answers it, so what a stranger can make us store
 * is bounded by MAX_PENDING_REQUESTS × this. The same bound as a display name
 * (core/identity/names.ts) and the INTRODUCE's name field (CLIENT_NAME_MAX_LEN).
 */
export const MAX_REQUEST_NAME_BYTES = MAX_DISPLAY_NAME_BYTES
