/**
 * One tab per profile, with the Web Locks API (docs/IDENTITY.md, "Two tabs").
 *
 * The tab holding the exclusive lock `shallot-profile` owns the identity and
 * the database. A second tab shows "open in another tab", waits in line (it
 * takes over by itself when the first tab closes), and offers "Use here",
 * which steals the lock: the first tab is told (its lock request rejects with
 * AbortError), closes the database and shows "open in another tab" itself.
 */

export interface ProfileLock {
  /** Take the lock if free (or by stealing it). `onLost` runs if another tab later steals it. */
  acquire (opts: { steal: boolean, onLost: () => void }): Promise<boolean>
  /** Wait until the lock is free, then take it. Returns a cancel function. */
  waitInLine (onAcquired: () => void, onLost: () => void): () => void
}

export const PROFILE_LOCK_NAME = 'shallot-profile'

export function webProfileLock (locks: LockManager, name = PROFILE_LOCK_NAME): ProfileLock {
  const hold = (options: LockOptions, onLost: () => void, onHeld: (held: boolean) => void): void => {
    let holding = false
    locks.request(name, options, async (lock) => {
      if (lock == null) { onHeld(false); return }
      holding = true
      onHeld(true)
      await new Promise<never>(() => { /* held until the tab closes or another tab steals it */ })
    }).catch(() => {
      // AbortError: stolen by another tab (when held) or the wait was cancelled.
      if (holding) { holding = false; onLost() } else onHeld(false)
    })
  }
  return {
    async acquire ({ steal, onLost }) {
      return await new Promise<boolean>((resolve) => {
        hold(steal ? { steal: true } : { ifAvailable: true }, onLost, resolve)
      })
    },
    waitInLine (onAcquired, onLost) {
      const abort = new AbortController()
      hold({ signal: abort.signal }, onLost, (held) => { if (held) onAcquired() })
      return () => { abort.abort() }
    }
  }
}

/** No Web Locks (old browsers, Node tests): every tab owns the profile. */
export const noProfileLock: ProfileLock = {
  async acquire () { return true },
  waitInLine (onAcquired) { queueMicrotask(onAcquired); return () => {} }
}
