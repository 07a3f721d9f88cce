/**
 * Onion-service reachability for the tab's identity (rend-spec-v3, simplified;
 * docs/RENDEZVOUS.md): the *service* side keeps introduction circuits, publishes
 * the encrypted descriptor to the HSDirs of its descriptor id and answers
 * INTRODUCE2 by meeting the client at its rendezvous point; the *client* side
 * fetches a contact's descriptor, sets up a rendezvous point, introduces
 * itself and completes the end-to-end handshake. Both produce a
 * {@link RendezvousLink}: a joined circuit and end-to-end session keys.
 *
 * Nothing here logs keys, names, peer ids or payloads.
 */
import type { ClientCircuit, RelayInfo } from '../../core/circuit/router.ts'
import { RelayCommand } from '../../core/cell/index.ts'
import type { X25519Dh } from '../../core/crypto/index.ts'
import type { RandomSource } from '../../core/random.ts'
import {
  AUTH_ID_LEN, ControlStatus, COOKIE_LEN, HS_DESCRIPTOR_LIFETIME_MS, HS_REPUBLISH_MS, HSDIR_KEYS_PER_ID, INTRO_POINTS, clientFinishHandshake, createIntroduce,
  decodeHsdirFound, decodeStatus, descriptorId, descriptorSigningSeed, encodeEstablishIntro, encodeEstablishRendezvous,
  encodeHsDescriptor, encodeHsdirFetch, encodeRendezvous1, IdentityMismatchError, lookupPeriods, openHsDescriptor, openIntroduce,
  publishPeriods, RendezvousLimiter, REPLAY_CACHE_MAX, ReplayCache, responsibleHsDirs, serviceHandshake,
  type ClientHandshakeState, type HsDescriptorContent, type IntroducePlaintext, type IntroPointInfo, type SessionKeys
} from '../../core/rendezvous/index.ts'
import { MalformedCellError } from '../../core/errors.ts'
import { toHex } from '../../core/bytes.ts'
import type { OnionService } from '../onion.ts'

/** After the first valid descriptor arrives, how long to wait for a newer one from the other HSDirs. */
export const FETCH_GRACE_MS = 1_500
/**
 * How long a client waits for the service to come to the rendezvous point
 * after one introduction before it tries the next introduction point (the
 * service builds one circuit: well under a second normally). A late answer
 * is still taken while later introductions are tried, and once more after
 * the last. A point can acknowledge INTRODUCE1 and still fail to deliver it
 * (its circuit to the service runs through a relay that just left).
 */
export const RENDEZVOUS_WAIT_MS = 6_000
/** How often the service checks its introduction circuits and HSDir set. */
export const SERVICE_CHECK_MS = 5_000
/** Keep-alive for idle service and chat circuits (relays close idle ones after 10 min). */
export const KEEPALIVE_MS = 120_000

export class ServiceUnreachableError extends Error {
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
  constructor (message = 'Too many introductions at once: this one was dropped.') {
    super(message)
    this.name = 'RendezvousLimitError'
  }
}

export interface Identity {
  readonly publicKey: Uint8Array
  readonly displayName: string
  sign (message: Uint8Array): Promise<Uint8Array>
}

export interface RendezvousDeps {
  readonly onion: OnionService
  readonly identity: Identity
  readonly dh: X25519Dh
  readonly random: RandomSource
  readonly now?: () => number
  /** Tests: told of every INTRODUCE1 that an introduction point acknowledged (to replay it). */
  readonly onIntroduceSent?: (point: IntroPointInfo, data: Uint8Array) => void
}

/** A joined rendezvous circuit with its end-to-end keys. */
export interface RendezvousLink {
  readonly circuit: ClientCircuit
  readonly keys: SessionKeys
  /** Short ids of our hops (last = rendezvous point). */
  readonly hops: readonly string[]
}

export interface IncomingIntroduction {
  readonly intro: IntroducePlaintext
  /** Complete the rendezvous (build to the RP, send RENDEZVOUS1). */
  accept (): Promise<RendezvousLink>
}

interface IntroCircuit { circuit: ClientCircuit, point: IntroPointInfo }

/** Our onion service: introduction points and descriptor publication. */
export class HiddenService {
  private readonly now: () => number
  private readonly intros: IntroCircuit[] = []
  private building = 0
  private introEnc: { secret: Uint8Array, publicKey: Uint8Array } | null = null
  private readonly replay = new ReplayCache(REPLAY_CACHE_MAX)
  /** Bounds the rendezvous circuits INTRODUCE2s make us build (a flood must not make us build without end). */
  private readonly limiter: RendezvousLimiter
  private published: { key: string, at: number } | null = null
  private timer: ReturnType<typeof setInterval> | null = null
  private keepalive: ReturnType<typeof setInterval> | null = null
  private stopped = false
  private checking = false

  constructor (private readonly deps: RendezvousDeps, private readonly onIntroduction: (incoming: IncomingIntroduction) => void) {
    this.now = deps.now ?? Date.now
    this.limiter = new RendezvousLimiter({ now: this.now })
  }

  async start (): Promise<void> {
    const secret = this.deps.random(32)
    this.introEnc = { secret, publicKey: await this.deps.dh.publicKey(secret) }
    this.timer = setInterval(() => { void this.check() }, SERVICE_CHECK_MS)
    this.keepalive = setInterval(() => { for (const i of this.intros) i.circuit.keepAlive() }, KEEPALIVE_MS)
    void this.check()
  }

  stop (): void {
    this.stopped = true
    if (this.timer != null) clearInterval(this.timer)
    if (this.keepalive != null) clearInterval(this.keepalive)
    for (const i of this.intros.splice(0)) i.circuit.destroy()
  }

  /** Keep INTRO_POINTS introduction circuits, and the descriptor on the right HSDirs. */
  private async check (): Promise<void> {
    if (this.checking || this.stopped) return
    this.checking = true
    try {
      const missing = INTRO_POINTS - this.intros.length - this.building
      const builds: Array<Promise<void>> = []
      for (let i = 0; i < missing; i++) builds.push(this.addIntroPoint())
      await Promise.allSettled(builds)
      if (this.intros.length > 0 && !this.stopped) await this.publishIfNeeded()
    } catch {
      // Publication failed (no directory yet, a signing error): the next check tries again.
      // check() runs from timers, so nothing may escape as an unhandled rejection.
    } finally {
      this.checking = false
    }
  }

  private async addIntroPoint (): Promise<void> {
    this.building++
    try {
      const taken = new Set(this.intros.map(i => i.point.peerId))
      const target = this.deps.onion.chooseDestination([...taken])
      const circuit = await this.deps.onion.buildCircuitTo(target)
      const authId = this.deps.random(AUTH_ID_LEN)
      try {
        await circuit.request(RelayCommand.ESTABLISH_INTRO, encodeEstablishIntro(authId), RelayCommand.INTRO_ESTABLISHED)
      } catch (err) {
        circuit.destroy() // refused or timed out: do not leave the circuit open
        throw err
      }
      if (this.stopped) { circuit.destroy(); return }
      const entry: IntroCircuit = { circuit, point: { peerId: target.peerId, nodeId: target.nodeId, onionKey: target.onionKey, authId } }
      this.intros.push(entry)
      circuit.onControl((command, data) => {
        if (command === RelayCommand.INTRODUCE2) void this.onIntroduce2(data)
      })
      circuit.onClose(() => {
        const i = this.intros.indexOf(entry)
        if (i >= 0) this.intros.splice(i, 1)
        this.published = null // the descriptor lists a dead point: publish again
        if (!this.stopped) setTimeout(() => { void this.check() }, 500)
      })
      this.published = null
    } finally {
      this.building--
    }
  }

  private async onIntroduce2 (data: Uint8Array): Promise<void> {
    const enc = this.introEnc
    if (enc == null) return
    try {
      const { intro, clientEphemeral } = await openIntroduce({
        data, serviceKey: this.deps.identity.publicKey, introEncSecret: enc.secret, introEncKey: enc.publicKey,
        replay: this.replay, now: this.now(), dh: this.deps.dh
      })
      let accepted = false
      this.onIntroduction({
        intro,
        accept: async () => {
          // One rendezvous per introduction: the cookie is single-use at the RP anyway.
          if (accepted) throw new RendezvousLimitError('This introduction was already answered.')
          accepted = true
          return await this.meet(intro, clientEphemeral)
        }
      })
    } catch (err) {
      // Replayed, undecryptable or badly signed: refused, nothing changes (rend-spec-v3 §3.4).
      this.onRefusedIntroduction?.(err as Error)
    }
  }

  /** Tests and the UI count refused introductions (replays among them). */
  onRefusedIntroduction: ((err: Error) => void) | null = null

  /**
   * Build to the client's rendezvous point and send RENDEZVOUS1 (rend-spec-v3
   * §4.2), within the limits of {@link RendezvousLimiter}: beyond them the
   * introduction is dropped with RendezvousLimitError and nothing is built.
   */
  private async meet (intro: IntroducePlaintext, clientEphemeral: Uint8Array): Promise<RendezvousLink> {
    if (this.stopped) throw new RendezvousLimitError('The service is stopped.')
    const done = this.limiter.tryStart()
    if (done == null) throw new RendezvousLimitError()
    let circuit: ClientCircuit | null = null
    try {
      const rp: RelayInfo = { peerId: intro.rp.peerId, nodeId: intro.rp.nodeId, onionKey: intro.rp.onionKey }
      circuit = await this.deps.onion.buildCircuitTo(rp, { lastHopMayBeSelf: true })
      if (this.stopped) throw new RendezvousLimitError('The service is stopped.')
      const { reply, keys } = await serviceHandshake({
        serviceKey: this.deps.identity.publicKey, clientKey: intro.clientKey, clientEphemeral, cookie: intro.cookie,
        sign: async (m) => await this.deps.identity.sign(m), random: this.deps.random, dh: this.deps.dh
      })
      circuit.sendControl(RelayCommand.RENDEZVOUS1, encodeRendezvous1({ cookie: intro.cookie, reply }))
      return { circuit, keys, hops: circuit.path.map(h => shortId(h.peerId)) }
    } catch (err) {
      circuit?.destroy() // built but not joined: do not leave it open
      throw err
    } finally {
      done()
    }
  }

  private async publishIfNeeded (): Promise<void> {
    const now = this.now()
    const periods = publishPeriods(now)
    const ring = this.deps.onion.ringMembers()
    const plan = periods.map(p => ({ period: p, dirs: responsibleHsDirs(ring, descriptorId(this.deps.identity.publicKey, p), p) }))
    const key = plan.map(x => `${x.period}:${x.dirs.map(d => d.peerId).join(',')}`).join(';') + '|' + this.intros.map(i => toHex(i.point.authId)).join(',')
    if (this.published?.key === key && now - this.published.at < HS_REPUBLISH_MS) return
    const enc = this.introEnc!
    let stored = 0
    for (const { period, dirs } of plan) {
      const content: HsDescriptorContent = {
        identityKey: this.deps.identity.publicKey, introEncKey: enc.publicKey, introPoints: this.intros.map(i => i.point),
        period, revision: now, expires: now + HS_DESCRIPTOR_LIFETIME_MS
      }
      const signingSeed = await descriptorSigningSeed(async (m) => await this.deps.identity.sign(m), period)
      const bytes = await encodeHsDescriptor(content, { sign: async (m) => await this.deps.identity.sign(m), signingSeed, random: this.deps.random })
      const results = await Promise.allSettled(dirs.map(async (dir) => await this.storeAt(dir, bytes)))
      stored += results.filter(r => r.status === 'fulfilled' && r.value).length
    }
    if (stored > 0) this.published = { key, at: now }
  }

  /**
   * Tests only: publish our descriptor under the descriptor id of `victimKey`
   * (someone whose invite we hold), as an impersonator would. Readers must
   * refuse it with IdentityMismatchError (docs/RENDEZVOUS.md §4).
   */
  async publishImpersonating (victimKey: Uint8Array): Promise<number> {
    const now = this.now()
    let stored = 0
    for (const period of publishPeriods(now)) {
      const content: HsDescriptorContent = {
        identityKey: this.deps.identity.publicKey, introEncKey: this.introEnc!.publicKey, introPoints: this.intros.map(i => i.point),
        period, revision: now, expires: now + HS_DESCRIPTOR_LIFETIME_MS
      }
      const signingSeed = await descriptorSigningSeed(async (m) => await this.deps.identity.sign(m), period)
      const bytes = await encodeHsDescriptor(content, { sign: async (m) => await this.deps.identity.sign(m), signingSeed, random: this.deps.random, publishUnder: victimKey })
      const dirs = responsibleHsDirs(this.deps.onion.ringMembers(), descriptorId(victimKey, period), period)
      const results = await Promise.allSettled(dirs.map(async (dir) => await this.storeAt(dir, bytes)))
      stored += results.filter(r => r.status === 'fulfilled' && r.value).length
    }
    return stored
  }

  private async storeAt (dir: RelayInfo, descriptor: Uint8Array): Promise<boolean> {
    const self = this.deps.onion.selfRelay
    if (self != null && dir.peerId === self.peerId) return this.deps.onion.hsdir.store(descriptor)
    const circuit = await this.deps.onion.buildCircuitTo(dir)
    try {
      const status = decodeStatus(await circuit.request(RelayCommand.HSDIR_STORE, descriptor, RelayCommand.HSDIR_STORED))
      return status === ControlStatus.OK
    } finally {
      circuit.destroy()
    }
  }
}

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
            if (best == null || content.revision > best.revision) best = content
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

async function fetchAt (onion: OnionService, dir: RelayInfo, descId: Uint8Array): Promise<Uint8Array[]> {
  const self = onion.selfRelay
  if (self != null && dir.peerId === self.peerId) return onion.hsdir.fetch(descId)
  const circuit = await onion.buildCircuitTo(dir)
  try {
    return await new Promise<Uint8Array[]>((resolve, reject) => {
      const found = new HsdirFoundCollector()
      const timer = setTimeout(() => { reject(new ServiceUnreachableError('The directory did not answer.')) }, 15_000)
      circuit.onClose((err) => { clearTimeout(timer); reject(err) })
      circuit.onControl((command, data) => {
        if (command !== RelayCommand.HSDIR_FOUND) return
        try {
          const out = found.offer(data)
          if (out != null) { clearTimeout(timer); resolve(out) }
        } catch (err) { clearTimeout(timer); reject(err as Error) }
      })
      circuit.sendControl(RelayCommand.HSDIR_FETCH, encodeHsdirFetch(descId))
    })
  } finally {
    circuit.destroy()
  }
}

/**
 * The HSDIR_FOUND cells answering one HSDIR_FETCH (docs/RENDEZVOUS.md §5): the
 * descriptors until `more` = 0. An HSDir holds at most HSDIR_KEYS_PER_ID per
 * id (§4), so one that sends more is broken or hostile (it could otherwise
 * make us hold and check descriptors without end): MalformedCellError.
 */
export class HsdirFoundCollector {
  private readonly out: Uint8Array[] = []
  private done = false

  /** Feed one HSDIR_FOUND body; the descriptors once the last one came, else null. */
  offer (data: Uint8Array): Uint8Array[] | null {
    if (this.done) return null
    const { more, descriptor } = decodeHsdirFound(data)
    if (descriptor != null) {
      if (this.out.length >= HSDIR_KEYS_PER_ID) throw new MalformedCellError('HSDIR_FOUND: more descriptors than an HSDir keeps per id')
      this.out.push(descriptor)
    }
    if (more) return null
    this.done = true
    return this.out
  }
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
 * end-to-end handshake (docs/RENDEZVOUS.md §1, §6).
 */
export async function connectToContact (deps: RendezvousDeps, contactKey: Uint8Array, cache?: DescriptorCache): Promise<RendezvousLink> {
  const cached = cache?.get(contactKey, (deps.now ?? Date.now)()) ?? null
  try {
    const link = await rendezvousWith(deps, contactKey, cached)
    cache?.set(contactKey, link.descriptor, (deps.now ?? Date.now)())
    return link
  } catch (err) {
    if (cached == null || err instanceof IdentityMismatchError) throw err
    // The cached descriptor may list introduction points that are gone: fetch again.
    cache!.forget(contactKey)
    const link = await rendezvousWith(deps, contactKey, null)
    cache!.set(contactKey, link.descriptor, (deps.now ?? Date.now)())
    return link
  }
}

/** How long a contact's descriptor is reused for reconnecting before it is fetched again. */
export const DESCRIPTOR_CACHE_MS = 5 * 60_000

/** Descriptors of contacts reached lately (reconnecting after a relay left need not ask the HSDirs again). */
export class DescriptorCache {
  private readonly entries = new Map<string, { content: HsDescriptorContent, at: number }>()
  get (key: Uint8Array, now: number): HsDescriptorContent | null {
    const e = this.entries.get(toHex(key))
    if (e == null || now - e.at > DESCRIPTOR_CACHE_MS || e.content.expires <= now) return null
    return e.content
  }

  set (key: Uint8Array, content: HsDescriptorContent, now: number): void { this.entries.set(toHex(key), { content, at: now }) }
  forget (key: Uint8Array): void { this.entries.delete(toHex(key)) }
}

async function rendezvousWith (deps: RendezvousDeps, contactKey: Uint8Array, known: HsDescriptorContent | null): Promise<RendezvousLink & { descriptor: HsDescriptorContent }> {
  const { onion, identity } = deps
  // The descriptor and the rendezvous circuit (an ordinary 3-hop circuit, its
  // last hop the RP) do not depend on each other: get both at once.
  const [fetched, built] = await Promise.allSettled([known ?? fetchDescriptor(deps, contactKey), onion.buildCircuit()])
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
    for (const point of shuffle([...descriptor.introPoints])) {
      try {
        const intro = await createIntroduce({
          serviceKey: contactKey, authId: point.authId, introEncKey: descriptor.introEncKey, rp, cookie,
          clientKey: identity.publicKey, clientName: identity.displayName, timestamp: (deps.now ?? Date.now)(),
          sign: async (m) => await identity.sign(m), random: deps.random, dh: deps.dh
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
    return { circuit: rpCircuit, keys, hops: rpCircuit.path.map(h => shortId(h.peerId)), descriptor }
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

/** A rendezvous answer did not prove the contact's identity key (docs/RENDEZVOUS.md §6). */
export class RendezvousAuthError extends Error {
  constructor (message = 'The answer at the rendezvous point did not prove the contact\'s identity.') {
    super(message)
    this.name = 'RendezvousAuthError'
  }
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

function shortId (peerId: string): string {
  return '…' + peerId.slice(-6)
}
