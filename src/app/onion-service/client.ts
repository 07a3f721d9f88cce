/**
 * The client side of an onion service (docs/RENDEZVOUS.md §1, §5, §6): fetch
 * the service's descriptor from its HSDirs, set up a rendezvous point,
 * introduce ourselves through one of its introduction points and complete
 * the end-to-end handshake, giving a {@link RendezvousLink}.
 *
 * The threats: an HSDir can serve an old or foreign descriptor (the newest
 * valid one wins; one signed for another key is refused with
 * IdentityMismatchError); a rendezvous point can answer in the service's
 * place (RendezvousWait ignores replies before our introduction, and the
 * handshake proves the service's key, else RendezvousAuthError). Nothing here
 * logs keys, names, peer ids or payloads.
 */
import { RelayCommand } from '../../core/cell/index.ts'
import {
  ControlStatus, COOKIE_LEN, clientFinishHandshake, createIntroduce, decodeStatus, descriptorId, encodeEstablishRendezvous, IdentityMismatchError,
  lookupPeriods, openHsDescriptor, responsibleHsDirs,
  type ClientHandshakeState, type HeldInvite, type HsDescriptorContent, type IntroPointInfo, type SessionKeys
} from '../../core/rendezvous/index.ts'
import type { OnionService } from '../onion/index.ts'
import { FETCH_GRACE_MS, RENDEZVOUS_WAIT_MS } from './constants.ts'
import type { DescriptorCache } from './descriptor-cache.ts'
import { RendezvousAuthError, ServiceUnreachableError } from './errors.ts'
import { fetchAt } from './hsdir.ts'
import { staticKeyOf } from './static-key.ts'
import { hopIds, type RendezvousDeps, type RendezvousLink } from './types.ts'

/** Fetch, at the HSDirs of its current descriptor ids, the contact's descriptor (newest valid one). */
export async function fetchDescriptor (deps: RendezvousDeps, contactKey: Uint8Array): Promise<HsDescriptorContent> {
  const now = (deps.now ?? Date.now)()
  let mismatch: Error | null = null
  let best: HsDescriptorContent | null = null
  // Ask every responsible HSDir at once: a departed one costs a dial timeout,
  // and the newest revision lists the live introduction points.
  const asks = lookupPeriods(now).flatMap(period => {
    const descId = descriptorId(contactKey, period)
    return responsibleHsDirs(deps.onion.ringMembers(), descId, period).map(dir => ({ dir, descId }))
  })
  await new Promise<void>((resolve) => {
    let pending = asks.length
    let grace: ReturnType<typeof setTimeout> | null = null
    const done = (): void => { if (grace != null) clearTimeout(grace); resolve() }
    if (pending === 0) { done(); return }
    for (const { dir, descId } of asks) {
      fetchAt(deps.onion, dir, descId).then((found) => {
        for (const bytes of found) {
          try {
            const content = openHsDescriptor(bytes, contactKey, now)
            // Revisions compare only within a period (each period has its own secret offset,
            // docs/RENDEZVOUS.md §4 "Timing"): a later period is the fresher one.
            if (best == null || content.period > best.period || (content.period === best.period && content.revision > best.revision)) best = content
          } catch (err) {
            if (err instanceof IdentityMismatchError) mismatch = err
          }
        }
        // Once one valid descriptor is in, wait a little for a newer one, not for the slowest HSDir.
        if (best != null) grace ??= setTimeout(done, FETCH_GRACE_MS)
      }, () => {}).finally(() => { if (--pending === 0) done() })
    }
  })
  if (best != null) return best
  if (mismatch != null) throw mismatch
  throw new ServiceUnreachableError('No descriptor for this contact was found: they are probably offline.')
}

/**
 * The client's wait for RENDEZVOUS2 on its rendezvous circuit. Until an
 * INTRODUCE1 is about to be sent ({@link arm}) a RENDEZVOUS2 cannot be the
 * service's answer (the service learns the cookie only from the INTRODUCE):
 * it is ignored, so a rendezvous point cannot answer in the service's place
 * before we introduced ourselves. Only the first reply after arm() counts (the
 * RP joins once). Each {@link wait} has its own timeout, so after one
 * introduction point's service did not come another can be tried on the same
 * circuit, and a reply that arrives between waits is kept.
 */
export class RendezvousWait {
  private armed = false
  private reply: Uint8Array | null = null
  private error: Error | null = null
  private waiter: { resolve: (d: Uint8Array) => void, reject: (e: Error) => void } | null = null

  /** An INTRODUCE1 naming this circuit's cookie is about to be sent. */
  arm (): void { this.armed = true }

  /** A RENDEZVOUS2 arrived; true when it was taken as the answer. */
  offer (data: Uint8Array): boolean {
    if (!this.armed || this.reply != null || this.error != null) return false
    this.reply = data.slice()
    const w = this.waiter
    this.waiter = null
    w?.resolve(this.reply)
    return true
  }

  /** The circuit closed: every wait from now on rejects with `err`. */
  fail (err: Error): void {
    if (this.error != null) return
    this.error = err
    const w = this.waiter
    this.waiter = null
    w?.reject(err)
  }

  /** The reply, or ServiceUnreachableError after `timeoutMs`, or the circuit's close reason. */
  async wait (timeoutMs: number): Promise<Uint8Array> {
    if (this.reply != null) return this.reply
    if (this.error != null) throw this.error
    if (this.waiter != null) throw new RangeError('RendezvousWait: one wait at a time')
    return await new Promise<Uint8Array>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null
        reject(new ServiceUnreachableError('The contact did not come to the rendezvous point.'))
      }, timeoutMs)
      this.waiter = {
        resolve: (d) => { clearTimeout(timer); resolve(d) },
        reject: (e) => { clearTimeout(timer); reject(e) }
      }
    })
  }
}

/**
 * Reach the contact with identity key `contactKey`: descriptor, rendezvous
 * point, INTRODUCE1 through one of its introduction points, and the
 * end-to-end handshake (docs/RENDEZVOUS.md §1, §6). With `invite` (theirs,
 * while they do not know our key yet) each INTRODUCE proves it (§6 "Invite
 * proof"); without a valid one their service drops a stranger's introduction.
 */
export async function connectToContact (deps: RendezvousDeps, contactKey: Uint8Array, cache?: DescriptorCache, invite?: HeldInvite | null): Promise<RendezvousLink> {
  const cached = cache?.get(contactKey, (deps.now ?? Date.now)()) ?? null
  try {
    const link = await rendezvousWith(deps, contactKey, cached, invite ?? null)
    cache?.set(contactKey, link.descriptor, (deps.now ?? Date.now)())
    return link
  } catch (err) {
    if (cached == null || err instanceof IdentityMismatchError) throw err
    // The cached descriptor may list introduction points that are gone: fetch again.
    cache!.forget(contactKey)
    const link = await rendezvousWith(deps, contactKey, null, invite ?? null)
    cache!.set(contactKey, link.descriptor, (deps.now ?? Date.now)())
    return link
  }
}

async function rendezvousWith (deps: RendezvousDeps, contactKey: Uint8Array, known: HsDescriptorContent | null, invite: HeldInvite | null): Promise<RendezvousLink & { descriptor: HsDescriptorContent }> {
  const { onion, identity } = deps
  // The descriptor and the rendezvous circuit (guard → L2 vanguard → middle →
  // an RP drawn at random, prop 333) do not depend on each other: get both at once.
  const [fetched, built] = await Promise.allSettled([known ?? fetchDescriptor(deps, contactKey), onion.buildRendezvousPointCircuit()])
  if (fetched.status === 'rejected' || built.status === 'rejected') {
    if (built.status === 'fulfilled') built.value.destroy()
    throw fetched.status === 'rejected' ? fetched.reason : (built as PromiseRejectedResult).reason
  }
  const descriptor = fetched.value
  const rpCircuit = built.value
  try {
    const rp = rpCircuit.path[rpCircuit.path.length - 1]!
    const cookie = deps.random(COOKIE_LEN)
    const wait = new RendezvousWait()
    rpCircuit.onClose((err) => { wait.fail(err) })
    rpCircuit.onControl((command, data) => { if (command === RelayCommand.RENDEZVOUS2) wait.offer(data) })
    await rpCircuit.request(RelayCommand.ESTABLISH_RENDEZVOUS, encodeEstablishRendezvous(cookie), RelayCommand.RENDEZVOUS_ESTABLISHED)
    // Every acknowledged introduction's state: a service answering an earlier
    // one late must not look like an impostor answering the latest one.
    const states: ClientHandshakeState[] = []
    let reply: Uint8Array | null = null
    let acknowledged = false
    const clientStatic = await staticKeyOf(identity, deps.dh)
    for (const point of shuffle([...descriptor.introPoints])) {
      try {
        const intro = await createIntroduce({
          serviceKey: contactKey, authId: point.authId, introEncKey: descriptor.introEncKey, rp, cookie,
          clientKey: identity.publicKey, clientStatic, clientName: identity.displayName, timestamp: (deps.now ?? Date.now)(),
          random: deps.random, dh: deps.dh, invite
        })
        wait.arm() // from now on a RENDEZVOUS2 may be the service's answer
        states.unshift(intro.state) // even if the ACK is lost, the service may have got it
        if (!await introduceAt(onion, point, intro.data)) continue
        deps.onIntroduceSent?.(point, intro.data)
        acknowledged = true
        reply = await wait.wait(RENDEZVOUS_WAIT_MS)
        break
      } catch (err) {
        // This point refused, failed or its service did not come in time: try another one.
        if (rpCircuit.state === 'closed') throw err
      }
    }
    // A service slower than the per-point wait may still be on its way.
    if (reply == null && acknowledged && rpCircuit.state === 'open') reply = await wait.wait(RENDEZVOUS_WAIT_MS).catch(() => null)
    if (reply == null) throw new ServiceUnreachableError()
    // The RP joined the circuits: whatever the reply proves, this circuit is used up.
    const keys = await finishAny(states, reply, deps)
    return { circuit: rpCircuit, keys, hops: hopIds(rpCircuit), descriptor }
  } catch (err) {
    rpCircuit.destroy()
    throw err
  }
}

/**
 * Finish the handshake with whichever acknowledged introduction the reply
 * answers (newest first). When none verifies: {@link RendezvousAuthError}. The
 * rendezvous point could have forged the reply as easily as an impostor could
 * have sent it, so one failure proves nothing about the contact; the caller
 * retries through another rendezvous point and warns only when it keeps happening.
 */
async function finishAny (states: readonly ClientHandshakeState[], reply: Uint8Array, deps: RendezvousDeps): Promise<SessionKeys> {
  for (const state of states) {
    try {
      return await clientFinishHandshake(state, reply, deps.dh)
    } catch {
      // not the answer to this introduction
    }
  }
  throw new RendezvousAuthError()
}

/** Send INTRODUCE1 through a fresh circuit to `point` (or to this tab's own router); true when acknowledged. */
export async function introduceAt (onion: OnionService, point: IntroPointInfo, data: Uint8Array): Promise<boolean> {
  const self = onion.selfRelay
  if (self != null && point.peerId === self.peerId) return onion.onionRouter?.introduce(data) === ControlStatus.OK
  const circuit = await onion.buildCircuitTo({ peerId: point.peerId, nodeId: point.nodeId, onionKey: point.onionKey })
  try {
    return decodeStatus(await circuit.request(RelayCommand.INTRODUCE1, data, RelayCommand.INTRODUCE_ACK)) === ControlStatus.OK
  } finally {
    circuit.destroy()
  }
}

function shuffle<T> (items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    const t = items[i]!; items[i] = items[j]!; items[j] = t
  }
  return items
}
