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
  AUTH_ID_LEN, COOKIE_LEN, HS_DESCRIPTOR_LIFETIME_MS, HS_REPUBLISH_MS, INTRO_POINTS, clientFinishHandshake, createIntroduce,
  decodeHsdirFound, decodeStatus, descriptorId, descriptorSigningSeed, encodeEstablishIntro, encodeEstablishRendezvous,
  encodeHsDescriptor, encodeHsdirFetch, encodeRendezvous1, IdentityMismatchError, lookupPeriods, openHsDescriptor, openIntroduce,
  publishPeriods, ReplayCache, responsibleHsDirs, serviceHandshake,
  type HsDescriptorContent, type IntroducePlaintext, type IntroPointInfo, type SessionKeys
} from '../../core/rendezvous/index.ts'
import { toHex } from '../../core/bytes.ts'
import type { OnionService } from '../onion.ts'

/** How long a client waits for the service to come to the rendezvous point. */
export const RENDEZVOUS_WAIT_MS = 20_000
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
  private readonly replay = new ReplayCache()
  private published: { key: string, at: number } | null = null
  private timer: ReturnType<typeof setInterval> | null = null
  private keepalive: ReturnType<typeof setInterval> | null = null
  private stopped = false
  private checking = false

  constructor (private readonly deps: RendezvousDeps, private readonly onIntroduction: (incoming: IncomingIntroduction) => void) {
    this.now = deps.now ?? Date.now
  }

  /** True while at least one introduction point is up and a descriptor was published. */
  get online (): boolean { return this.intros.length > 0 && this.published != null }

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
      if (this.intros.length > 0) await this.publishIfNeeded()
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
      await circuit.request(RelayCommand.ESTABLISH_INTRO, encodeEstablishIntro(authId), RelayCommand.INTRO_ESTABLISHED)
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
      this.onIntroduction({
        intro,
        accept: async () => await this.meet(intro, clientEphemeral)
      })
    } catch (err) {
      // Replayed, undecryptable or badly signed: refused, nothing changes (rend-spec-v3 §3.4).
      this.onRefusedIntroduction?.(err as Error)
    }
  }

  /** Tests and the UI count refused introductions (replays among them). */
  onRefusedIntroduction: ((err: Error) => void) | null = null

  /** Build to the client's rendezvous point and send RENDEZVOUS1 (rend-spec-v3 §4.2). */
  private async meet (intro: IntroducePlaintext, clientEphemeral: Uint8Array): Promise<RendezvousLink> {
    const rp: RelayInfo = { peerId: intro.rp.peerId, nodeId: intro.rp.nodeId, onionKey: intro.rp.onionKey }
    const circuit = await this.deps.onion.buildCircuitTo(rp, { lastHopMayBeSelf: true })
    const { reply, keys } = await serviceHandshake({
      serviceKey: this.deps.identity.publicKey, clientKey: intro.clientKey, clientEphemeral, cookie: intro.cookie,
      sign: async (m) => await this.deps.identity.sign(m), random: this.deps.random, dh: this.deps.dh
    })
    circuit.sendControl(RelayCommand.RENDEZVOUS1, encodeRendezvous1({ cookie: intro.cookie, reply }))
    return { circuit, keys, hops: circuit.path.map(h => shortId(h.peerId)) }
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
      return status === 0
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
  for (const period of lookupPeriods(now)) {
    const descId = descriptorId(contactKey, period)
    const dirs = shuffle(responsibleHsDirs(deps.onion.ringMembers(), descId, period))
    for (const dir of dirs) {
      let found: Uint8Array[]
      try {
        found = await fetchAt(deps.onion, dir, descId)
      } catch {
        continue
      }
      for (const bytes of found) {
        try {
          const content = openHsDescriptor(bytes, contactKey, now)
          if (best == null || content.revision > best.revision) best = content
        } catch (err) {
          if (err instanceof IdentityMismatchError) mismatch = err
        }
      }
      if (best != null) return best
    }
  }
  if (mismatch != null) throw mismatch
  throw new ServiceUnreachableError('No descriptor for this contact was found: they are probably offline.')
}

async function fetchAt (onion: OnionService, dir: RelayInfo, descId: Uint8Array): Promise<Uint8Array[]> {
  const self = onion.selfRelay
  if (self != null && dir.peerId === self.peerId) return onion.hsdir.fetch(descId)
  const circuit = await onion.buildCircuitTo(dir)
  try {
    return await new Promise<Uint8Array[]>((resolve, reject) => {
      const out: Uint8Array[] = []
      const timer = setTimeout(() => { reject(new ServiceUnreachableError('The directory did not answer.')) }, 15_000)
      circuit.onClose((err) => { clearTimeout(timer); reject(err) })
      circuit.onControl((command, data) => {
        if (command !== RelayCommand.HSDIR_FOUND) return
        try {
          const { more, descriptor } = decodeHsdirFound(data)
          if (descriptor != null) out.push(descriptor)
          if (!more) { clearTimeout(timer); resolve(out) }
        } catch (err) { clearTimeout(timer); reject(err as Error) }
      })
      circuit.sendControl(RelayCommand.HSDIR_FETCH, encodeHsdirFetch(descId))
    })
  } finally {
    circuit.destroy()
  }
}

/**
 * Reach the contact with identity key `contactKey`: descriptor, rendezvous
 * point, INTRODUCE1 through one of its introduction points, and the
 * end-to-end handshake (docs/RENDEZVOUS.md §1, §6).
 */
export async function connectToContact (deps: RendezvousDeps, contactKey: Uint8Array): Promise<RendezvousLink> {
  const { onion, identity } = deps
  const descriptor = await fetchDescriptor(deps, contactKey)
  // Rendezvous point: the last hop of an ordinary 3-hop circuit.
  const rpCircuit = await onion.buildCircuit()
  try {
    const rp = rpCircuit.path[rpCircuit.path.length - 1]!
    const cookie = deps.random(COOKIE_LEN)
    await rpCircuit.request(RelayCommand.ESTABLISH_RENDEZVOUS, encodeEstablishRendezvous(cookie), RelayCommand.RENDEZVOUS_ESTABLISHED)
    const joined = new Promise<Uint8Array>((resolve, reject) => {
      const timer = setTimeout(() => { reject(new ServiceUnreachableError('The contact did not come to the rendezvous point.')) }, RENDEZVOUS_WAIT_MS)
      rpCircuit.onClose((err) => { clearTimeout(timer); reject(err) })
      rpCircuit.onControl((command, data) => { if (command === RelayCommand.RENDEZVOUS2) { clearTimeout(timer); resolve(data) } })
    })
    joined.catch(() => {})
    for (const point of shuffle([...descriptor.introPoints])) {
      try {
        const intro = await createIntroduce({
          serviceKey: contactKey, authId: point.authId, introEncKey: descriptor.introEncKey, rp, cookie,
          clientKey: identity.publicKey, clientName: identity.displayName, timestamp: (deps.now ?? Date.now)(),
          sign: async (m) => await identity.sign(m), random: deps.random, dh: deps.dh
        })
        if (await introduceAt(onion, point, intro.data)) {
          deps.onIntroduceSent?.(point, intro.data)
          const reply = await joined
          const keys = await clientFinishHandshake(intro.state, reply, deps.dh)
          return { circuit: rpCircuit, keys, hops: rpCircuit.path.map(h => shortId(h.peerId)) }
        }
      } catch (err) {
        if (err instanceof IdentityMismatchError) throw err
        if (rpCircuit.state === 'closed') throw err
      }
    }
    throw new ServiceUnreachableError()
  } catch (err) {
    rpCircuit.destroy()
    throw err
  }
}

/** Send INTRODUCE1 through a fresh circuit to `point` (or to this tab's own router); true when acknowledged. */
export async function introduceAt (onion: OnionService, point: IntroPointInfo, data: Uint8Array): Promise<boolean> {
  const self = onion.selfRelay
  if (self != null && point.peerId === self.peerId) return onion.onionRouter?.introduce(data) === 0
  const circuit = await onion.buildCircuitTo({ peerId: point.peerId, nodeId: point.nodeId, onionKey: point.onionKey })
  try {
    return decodeStatus(await circuit.request(RelayCommand.INTRODUCE1, data, RelayCommand.INTRODUCE_ACK)) === 0
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
