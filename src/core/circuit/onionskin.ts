/**
 * Client onionskins (tor-spec §5.1.4 ntor) made ahead of the builds that use
 * them: the X25519 work of a hop's CREATE depends only on its descriptor, so
 * it can be done before the build starts, leaving only the last X25519 of
 * each handshake on the build's critical path.
 *
 * Each onionskin also carries its hop's onward-header keys (crypto/onward.ts),
 * derived from the same EXP(B,x). The threat is reuse: an ephemeral x used
 * twice links two circuits, so every onionskin here is taken at most once,
 * wiped when it is dropped, and not kept past its TTL or past a change of the
 * relay's keys (limits.ts: MAX_PREPARED_ONIONSKINS, PREPARED_ONIONSKIN_TTL_MS).
 */
import { ctEqual } from '../bytes.ts'
import { forgetSecret, ntorClientCreateWith, onwardKeys, type NtorClientState, type OnwardKeys, type X25519Dh } from '../crypto/index.ts'
import type { RandomSource } from '../random.ts'
import { MAX_PREPARED_ONIONSKINS, PREPARED_ONIONSKIN_TTL_MS } from './limits.ts'
import type { RelayInfo } from './types.ts'

/** An onionskin in the making, with its hop's onward-header keys (crypto/onward.ts), which depend on nothing else. */
export type PendingOnionskin = Promise<{ state: NtorClientState, onionskin: Uint8Array, onward: OnwardKeys }>

/** ntorClientCreateWith, plus the onward keys from its EXP(B,x), computed here, off a build's critical path. */
export async function makeOnionskin (relay: RelayInfo, random: RandomSource, dh: X25519Dh): PendingOnionskin {
  const { state, onionskin } = await ntorClientCreateWith(relay, random, dh)
  state.xb ??= await dh.shared(state.x, relay.onionKey) // EXP(B,x)
  return { state, onionskin, onward: onwardKeys(state.xb, relay.nodeId, relay.onionKey, state.X) }
}

/** Zero an onionskin's secrets once it is known, unless a handshake used (and wiped) them. */
export function wipeOnionskin (skin: PendingOnionskin, dh: X25519Dh): void {
  void skin.then(({ state, onward }) => {
    onward.enc.fill(0); onward.mac.fill(0)
    if (!state.used) { forgetSecret(dh, state.x); state.xb?.fill(0) }
  }, () => {})
}

/**
 * Onionskins kept ready, one per relay peer id: the next build's first hop,
 * and the hops of a path the app chose ahead (app/onion/path-policy.ts).
 */
export class PreparedOnionskins {
  private readonly ready = new Map<string, { relay: RelayInfo, skin: PendingOnionskin, at: number }>()

  constructor (private readonly random: RandomSource, private readonly dh: X25519Dh, private readonly now: () => number) {}

  /** Make one for `relay` unless one is kept; the oldest is wiped to make room. */
  prepare (relay: RelayInfo): void {
    if (this.ready.has(relay.peerId)) return
    if (this.ready.size >= MAX_PREPARED_ONIONSKINS) {
      const [oldest] = this.ready.keys()
      wipeOnionskin(this.ready.get(oldest!)!.skin, this.dh)
      this.ready.delete(oldest!)
    }
    const skin = makeOnionskin(relay, this.random, this.dh)
    skin.catch(() => {})
    this.ready.set(relay.peerId, { relay, skin, at: this.now() })
  }

  /** The prepared onionskin for `relay`, if one was made for the same keys; taken, so it is never used twice. */
  take (relay: RelayInfo): PendingOnionskin | null {
    const ready = this.ready.get(relay.peerId)
    if (ready == null) return null
    this.ready.delete(relay.peerId)
    // A relay whose descriptor changed (a new onion key) needs a new onionskin;
    // so does one kept too long.
    if (!ctEqual(ready.relay.onionKey, relay.onionKey) || !ctEqual(ready.relay.nodeId, relay.nodeId) ||
        this.now() - ready.at > PREPARED_ONIONSKIN_TTL_MS) {
      wipeOnionskin(ready.skin, this.dh)
      return null
    }
    // One that failed to compute is replaced by a fresh one rather than failing the build.
    return ready.skin.catch(async () => await makeOnionskin(relay, this.random, this.dh))
  }

  /** Wipe and forget them all (shutdown). */
  clear (): void {
    for (const { skin } of this.ready.values()) wipeOnionskin(skin, this.dh)
    this.ready.clear()
  }
}
