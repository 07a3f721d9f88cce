/**
 * Why reaching an onion service failed, as errors with kinds. The caller
 * (chat, and next groups and files) decides from the kind whether to retry
 * later, try another rendezvous point, or warn the user: one failed proof
 * proves nothing (a rendezvous point can forge a reply as easily as an
 * impostor), so only repeated ones become a warning.
 */

/** Offline, or no introduction point answered, or no HSDir had a descriptor. */
export class ServiceUnreachableError extends Error {
  readonly kind = 'service-unreachable' as const
  constructor (message = 'The contact could not be reached (offline, or no introduction point answered).') {
    super(message)
    this.name = 'ServiceUnreachableError'
  }
}

/**
 * The service refused to build a rendezvous circuit for an introduction:
 * MAX_CONCURRENT_RENDEZVOUS builds are already running or
 * MAX_RENDEZVOUS_PER_MINUTE were started in the last minute (core/rendezvous
 * limiter.ts). The client retries with backoff.
 */
export class RendezvousLimitError extends Error {
  readonly kind = 'rendezvous-limit' as const
  constructor (message = 'Too many introductions at once: this one was dropped.') {
    super(message)
    this.name = 'RendezvousLimitError'
  }
}

/** A rendezvous answer did not prove the contact's identity key (docs/RENDEZVOUS.md §6). */
export class RendezvousAuthError extends Error {
  readonly kind = 'rendezvous-auth' as const
  constructor (message = 'The answer at the rendezvous point did not prove the contact\'s identity.') {
    super(message)
    this.name = 'RendezvousAuthError'
  }
}
