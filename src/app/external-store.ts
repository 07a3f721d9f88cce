/**
 * The subscribe/getSnapshot pair that React's useSyncExternalStore reads,
 * shared by the app's stores so each keeps only its own state: one immutable
 * snapshot, replaced (never mutated) on every change, then every listener told.
 */
export class ExternalStore<S> {
  private readonly listeners = new Set<() => void>()

  constructor (private snapshot: S) {}

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener)
    return () => { this.listeners.delete(listener) }
  }

  /** The same object until the next {@link set}: React compares snapshots by identity. */
  readonly getSnapshot = (): S => this.snapshot

  /** Replace the snapshot and tell every listener. */
  set (next: S): void {
    this.snapshot = next
    for (const l of this.listeners) l()
  }
}
