/**
 * The service side of an onion service (rend-spec-v3, simplified;
 * docs/RENDEZVOUS.md): keep INTRO_POINTS introduction circuits, publish the
 * encrypted, signed descriptor to the HSDirs of our descriptor id, and answer
 * INTRODUCE2 by meeting the client at its rendezvous point. What the
 * introduction asks for (a chat contact, later a group or a file) is the
 * caller's to decide; this only proves who asks.
 *
 * The threats: an introduction point or anyone with our invite can replay or
 * flood INTRODUCE2s (replay cache; RendezvousLimiter bounds the circuits they
 * make us build; a stranger's invite proof is handed over bound to this
 * INTRODUCE's transcript, for the caller to check against the invites it
 * issued); a relay that leaves takes an introduction point with it
 * (rebuilt, descriptor republished). Nothing here logs keys, names, peer ids
 * or payloads.
 */
import type { ClientCircuit, RelayInfo } from '../../core/circuit/router.ts'
import { RelayCommand } from '../../core/cell/index.ts'
import { toHex } from '../../core/bytes.ts'
import { uniformInt } from '../../core/path/sampling.ts'
import {
  AUTH_ID_LEN, INTRO_POINTS, descriptorId, descriptorSigningSeed, encodeEstablishIntro, encodeHsDescriptor, encodeRendezvous1,
  hsDescriptorExpires, hsFirstPublishDelay, hsRepublishDelay, hsRevision, openIntroduce, publishPeriods, RendezvousLimiter, REPLAY_CACHE_MAX, ReplayCache, responsibleHsDirs, serviceHandshake,
  verifyInviteProof, type HsDescriptorContent, type IntroducePlaintext, type IntroPointInfo
} from '../../core/rendezvous/index.ts'
import { KEEPALIVE_MS, SERVICE_CHECK_MS } from './constants.ts'
import { RendezvousLimitError } from './errors.ts'
import { storeAtAll } from './hsdir.ts'
import { hopIds, type IncomingIntroduction, type RendezvousDeps, type RendezvousLink } from './types.ts'

interface IntroCircuit { circuit: ClientCircuit, point: IntroPointInfo }

/** The upload key of a period whose descriptor is out of date and waits for its (possibly delayed) upload. */
const STALE = ''

/** Our onion service: introduction points and descriptor publication. */
export class HiddenService {
  private readonly now: () => number
  private readonly intros: IntroCircuit[] = []
  private building = 0
  private introEnc: { secret: Uint8Array, publicKey: Uint8Array } | null = null
  private readonly replay = new ReplayCache(REPLAY_CACHE_MAX)
  /** Bounds the rendezvous circuits INTRODUCE2s make us build (a flood must not make us build without end). */
  private readonly limiter: RendezvousLimiter
  /**
   * Per period: what its descriptor was last uploaded with (HSDirs and
   * introduction points, or STALE) and when it is next due, drawn afresh each
   * upload (docs/RENDEZVOUS.md §4 "Timing"). Cleared when the introduction
   * points change.
   */
  private readonly published = new Map<number, { key: string, nextAt: number }>()
  /** No upload before this: a random first delay, so the first upload is not the tab's start. */
  private firstPublishAt = 0
  private timer: ReturnType<typeof setTimeout> | null = null
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
    this.firstPublishAt = this.now() + hsFirstPublishDelay(this.deps.random)
    this.scheduleCheck()
    this.keepalive = setInterval(() => { for (const i of this.intros) i.circuit.keepAlive() }, KEEPALIVE_MS)
    void this.check()
  }

  stop (): void {
    this.stopped = true
    if (this.timer != null) clearTimeout(this.timer)
    if (this.keepalive != null) clearInterval(this.keepalive)
    for (const i of this.intros.splice(0)) i.circuit.destroy()
  }

  /**
   * The next check after a random SERVICE_CHECK_MS/2..3/2: on a fixed beat
   * every upload would fall on a grid whose phase is the tab's start, which
   * an HSDir could use to tell our uploads apart (docs/RENDEZVOUS.md §4 "Timing").
   */
  private scheduleCheck (): void {
    const delay = SERVICE_CHECK_MS / 2 + uniformInt(this.deps.random, SERVICE_CHECK_MS + 1)
    this.timer = setTimeout(() => {
      if (this.stopped) return
      this.scheduleCheck()
      void this.check()
    }, delay)
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
        this.published.clear() // the descriptor lists a dead point: publish again
        if (!this.stopped) setTimeout(() => { void this.check() }, 500)
      })
      this.published.clear()
    } finally {
      this.building--
    }
  }

  private async onIntroduce2 (data: Uint8Array): Promise<void> {
    const enc = this.introEnc
    if (enc == null) return
    try {
      const { intro, clientEphemeral, invite } = await openIntroduce({
        data, serviceKey: this.deps.identity.publicKey, introEncSecret: enc.secret, introEncKey: enc.publicKey,
        replay: this.replay, now: this.now(), dh: this.deps.dh
      })
      // The proof is bound to this transcript: our key, the client's key, this X (core/rendezvous/invite-proof.ts).
      const transcript = { serviceKey: this.deps.identity.publicKey, clientKey: intro.clientKey, clientEphemeral }
      let accepted = false
      this.onIntroduction({
        intro,
        invite: invite == null ? null : { inviteId: invite.inviteId, proves: (secret) => verifyInviteProof(invite, secret, transcript) },
        accept: async () => {
          // One rendezvous per introduction: the cookie is single-use at the RP anyway.
          if (accepted) throw new RendezvousLimitError('This introduction was already answered.')
          accepted = true
          return await this.meet(intro, clientEphemeral)
        }
      })
    } catch (err) {
      // Replayed, undecryptable or not authenticated (certificate, MAC): refused, nothing changes (rend-spec-v3 §3.4).
      this.onRefusedIntroduction?.(err as Error)
    }
  }

  /** Told of every refused introduction (replays among them). */
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
      const enc = this.introEnc
      if (enc == null) throw new RendezvousLimitError('The service is stopped.')
      const { reply, keys } = await serviceHandshake({
        serviceKey: this.deps.identity.publicKey, clientKey: intro.clientKey, clientStaticKey: intro.clientStaticKey, clientEphemeral, cookie: intro.cookie,
        introEncSecret: enc.secret, introEncKey: enc.publicKey, random: this.deps.random, dh: this.deps.dh
      })
      circuit.sendControl(RelayCommand.RENDEZVOUS1, encodeRendezvous1({ cookie: intro.cookie, reply }))
      return { circuit, keys, hops: hopIds(circuit) }
    } catch (err) {
      circuit?.destroy() // built but not joined: do not leave it open
      throw err
    } finally {
      done()
    }
  }

  /**
   * Upload each period's descriptor when its HSDirs or our introduction
   * points changed, or when its own random republish time came. At most one
   * upload per check: another one due at the same moment (both periods after
   * a change, or at the start) is put off by a random delay, so an HSDir that
   * holds both of our period ids does not see them arrive together
   * (docs/RENDEZVOUS.md §4 "Timing").
   */
  private async publishIfNeeded (): Promise<void> {
    const now = this.now()
    if (now < this.firstPublishAt) return
    const periods = publishPeriods(now)
    for (const p of [...this.published.keys()]) if (!periods.includes(p)) this.published.delete(p)
    const ring = this.deps.onion.ringMembers()
    const intros = this.intros.map(i => toHex(i.point.authId)).join(',')
    let uploaded = false
    for (const period of periods) {
      const dirs = responsibleHsDirs(ring, descriptorId(this.deps.identity.publicKey, period), period)
      const key = dirs.map(d => d.peerId).join(',') + '|' + intros
      let entry = this.published.get(period)
      if (entry == null || (entry.key !== key && entry.key !== STALE)) {
        entry = { key: STALE, nextAt: uploaded ? now + hsFirstPublishDelay(this.deps.random) : now }
        this.published.set(period, entry)
      }
      if (now < entry.nextAt) continue
      if (uploaded) { entry.nextAt = now + hsFirstPublishDelay(this.deps.random); continue }
      uploaded = true
      const stored = await storeAtAll(this.deps.onion, dirs, await this.signedDescriptor(period, now))
      if (stored > 0) this.published.set(period, { key, nextAt: now + hsRepublishDelay(this.deps.random) })
    }
  }

  /**
   * Our descriptor for `period`, encrypted and signed: our introduction
   * points as they are now. `publishUnder` encodes it under another
   * identity's descriptor id (readers of that id must refuse it with
   * IdentityMismatchError, docs/RENDEZVOUS.md §4); the service itself never
   * does that.
   */
  async signedDescriptor (period: number, now: number, publishUnder?: Uint8Array): Promise<Uint8Array> {
    const enc = this.introEnc
    if (enc == null) throw new Error('the service is not started')
    const sign = async (m: Uint8Array): Promise<Uint8Array> => await this.deps.identity.sign(m)
    const signingSeed = await descriptorSigningSeed(sign, period)
    // Neither time says when we published or links the periods (docs/RENDEZVOUS.md §4 "Timing").
    const content: HsDescriptorContent = {
      identityKey: this.deps.identity.publicKey, introEncKey: enc.publicKey, introPoints: this.intros.map(i => i.point),
      period, revision: hsRevision(signingSeed, period, now), expires: hsDescriptorExpires(period)
    }
    return await encodeHsDescriptor(content, { sign, signingSeed, random: this.deps.random, ...(publishUnder != null ? { publishUnder } : {}) })
  }
}
