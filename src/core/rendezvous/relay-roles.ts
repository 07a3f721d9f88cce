/**
 * The onion-service roles a relay plays for others (rend-spec-v3 §3–4,
 * docs/RENDEZVOUS.md §5), beside the cell formats they use (cells.ts):
 *
 * - introduction point: ESTABLISH_INTRO registers a service circuit under a
 *   random auth id; INTRODUCE1 from a client is passed on, unchanged, as
 *   INTRODUCE2 and acknowledged (rend-spec-v3 §3.1–3.2);
 * - rendezvous point: ESTABLISH_RENDEZVOUS parks a client circuit under a
 *   cookie; RENDEZVOUS1 from the service joins the two circuits (§3.3, §4.2);
 *   their DATA is then spliced in circuit/relay-cells.ts;
 * - HSDir: HSDIR_STORE / HSDIR_FETCH against the tab's descriptor store
 *   (docs/RENDEZVOUS.md §4), through {@link HsDirHooks}.
 *
 * The threats: a relay must not become a free relay of floods, so each role
 * is taken only at the last hop and once per circuit, their tables are
 * bounded (maxIntroPoints, maxPendingRendezvous, rendezvousTimeoutMs), and
 * INTRODUCE2s to one service are rate-limited (the rend-spec-v3 §3.2 DoS
 * defences, simplified) so a flood cannot fill the service's link queue.
 *
 * To add a relay role: a case in {@link RelayRoles.handle}, its command in
 * ROLE_REQUEST_COMMANDS (circuit/types.ts), and its cells in cells.ts.
 */
import { toHex } from '../bytes.ts'
import { RelayCommand, type RelayCell } from '../cell/index.ts'
import { BucketsByPeer, TokenBucket } from '../channel/token-bucket.ts'
import { isProtocolError, ProtocolViolationError } from '../errors.ts'
import { CircuitLimitError } from '../circuit/errors.ts'
import { originate, type RelayCircuit } from '../circuit/relay-circuit.ts'
import type { OnionRouter } from '../circuit/router.ts'
import { decodeEstablishIntro, decodeEstablishRendezvous, decodeHsdirFetch, decodeIntroduce1, decodeRendezvous1, encodeHsdirFound, encodeStatus } from './cells.ts'
import { ControlStatus } from './constants.ts'

/** What the router needs of an HSDir store (docs/RENDEZVOUS.md §4). */
export interface HsDirHooks {
  /** Validate and keep a descriptor; throws a ProtocolError when it is refused. */
  store (descriptor: Uint8Array): boolean
  /** Descriptors held for a descriptor id, newest first. */
  fetch (descId: Uint8Array): Uint8Array[]
}

/** The introduction points and pending rendezvous this tab serves; owned by its router. */
export class RelayRoles {
  /** Introduction points served here, by auth id (hex). */
  readonly introPoints = new Map<string, RelayCircuit>()
  /** Rendezvous cookies (hex) waiting for RENDEZVOUS1. */
  readonly rendezvous = new Map<string, { circ: RelayCircuit, at: number }>()
  /** HSDIR_STORE token buckets by neighbour (the circuit's previous hop); swept by the router. */
  readonly storeBuckets: BucketsByPeer

  constructor (private readonly router: OnionRouter) {
    this.storeBuckets = new BucketsByPeer({ ratePerSecond: router.limits.hsdirStoreRatePerSecond, burst: router.limits.hsdirStoreBurst, clock: { now: router.opts.now } })
  }

  /** An onion-service command at the last hop of `circ`; once per circuit. */
  handle (circ: RelayCircuit, cell: RelayCell): void {
    const router = this.router
    const limits = router.limits
    if (circ.next != null || circ.extending) throw new ProtocolViolationError('onion-service command to a middle hop')
    const settled = circ.introAuthId != null || circ.cookie != null || circ.joined != null || circ.hsdirUsed
    switch (cell.command) {
      case RelayCommand.ESTABLISH_INTRO: {
        // rend-spec-v3 §3.1.1; the auth key is a random id here (docs/RENDEZVOUS.md §5).
        const authId = toHex(decodeEstablishIntro(cell.data))
        if (settled || this.introPoints.has(authId)) throw new ProtocolViolationError('ESTABLISH_INTRO on a used circuit or for a used id')
        if (this.introPoints.size >= limits.maxIntroPoints) throw new CircuitLimitError('too many introduction points')
        circ.introAuthId = authId
        circ.introduceBucket = new TokenBucket({ ratePerSecond: limits.introduceRatePerSecond, burst: limits.introduceBurst, clock: { now: router.opts.now } })
        this.introPoints.set(authId, circ)
        originate(router, circ, { command: RelayCommand.INTRO_ESTABLISHED, streamId: 0, data: new Uint8Array(0) })
        return
      }
      case RelayCommand.INTRODUCE1: {
        // rend-spec-v3 §3.2: pass it on as INTRODUCE2, unchanged, and acknowledge.
        if (settled || circ.introduced) throw new ProtocolViolationError('INTRODUCE1 on a service circuit or a second time')
        circ.introduced = true
        const status = this.introduce(cell.data)
        originate(router, circ, { command: RelayCommand.INTRODUCE_ACK, streamId: 0, data: encodeStatus(status) })
        return
      }
      case RelayCommand.ESTABLISH_RENDEZVOUS: {
        // rend-spec-v3 §3.3.
        const cookie = toHex(decodeEstablishRendezvous(cell.data))
        if (settled || this.rendezvous.has(cookie)) throw new ProtocolViolationError('ESTABLISH_RENDEZVOUS on a used circuit or for a used cookie')
        if (this.rendezvous.size >= limits.maxPendingRendezvous) throw new CircuitLimitError('too many pending rendezvous')
        circ.cookie = cookie
        this.rendezvous.set(cookie, { circ, at: router.opts.now() })
        originate(router, circ, { command: RelayCommand.RENDEZVOUS_ESTABLISHED, streamId: 0, data: new Uint8Array(0) })
        return
      }
      case RelayCommand.RENDEZVOUS1: {
        // rend-spec-v3 §4.2: RENDEZVOUS2 to the waiting client, then join the two.
        const { cookie: raw, reply } = decodeRendezvous1(cell.data)
        const cookie = toHex(raw)
        const waiting = this.rendezvous.get(cookie)
        const fresh = waiting != null && router.opts.now() - waiting.at <= limits.rendezvousTimeoutMs
        if (settled || waiting == null || !fresh || waiting.circ === circ || !router.relayCircuits.has(waiting.circ)) throw new ProtocolViolationError('RENDEZVOUS1 for no waiting cookie')
        this.rendezvous.delete(cookie)
        const client = waiting.circ
        client.cookie = null
        client.joined = circ
        circ.joined = client
        originate(router, client, { command: RelayCommand.RENDEZVOUS2, streamId: 0, data: reply })
        return
      }
      case RelayCommand.HSDIR_STORE: {
        this.takeHsdirRequest(circ, settled)
        let status: number = ControlStatus.REFUSED
        try {
          if (this.storeBuckets.of(circ.prev.peer).tryTake() && router.opts.hsdir?.store(cell.data) === true) status = ControlStatus.OK
        } catch (err) {
          if (!isProtocolError(err)) throw err
          router.countError(err) // a bad descriptor: refused, the circuit stays
        }
        originate(router, circ, { command: RelayCommand.HSDIR_STORED, streamId: 0, data: encodeStatus(status) })
        return
      }
      case RelayCommand.HSDIR_FETCH: {
        this.takeHsdirRequest(circ, settled)
        const descId = decodeHsdirFetch(cell.data)
        const found = router.opts.hsdir?.fetch(descId) ?? []
        if (found.length === 0) originate(router, circ, { command: RelayCommand.HSDIR_FOUND, streamId: 0, data: encodeHsdirFound({ more: false, descriptor: null }) })
        found.forEach((descriptor, i) => {
          originate(router, circ, { command: RelayCommand.HSDIR_FOUND, streamId: 0, data: encodeHsdirFound({ more: i < found.length - 1, descriptor }) })
        })
        return
      }
      default:
        throw new ProtocolViolationError(`relay command ${cell.command} not expected by a relay`)
    }
  }

  /**
   * One HSDir request per circuit (docs/RENDEZVOUS.md §4): a store or a fetch
   * then costs a circuit build, so one circuit cannot push a thousand
   * descriptors. Honest clients open a circuit per request (hsdir.ts).
   */
  private takeHsdirRequest (circ: RelayCircuit, settled: boolean): void {
    if (settled) throw new ProtocolViolationError('a second HSDir request on a circuit')
    circ.hsdirUsed = true
  }

  /**
   * Hand an INTRODUCE1 body to the service circuit registered for its auth id
   * as INTRODUCE2; the status for INTRODUCE_ACK. Also used when this tab is
   * itself the introduction point a local client picked.
   */
  introduce (data: Uint8Array): number {
    const { authId } = decodeIntroduce1(data)
    const service = this.introPoints.get(toHex(authId))
    if (service == null || !this.router.relayCircuits.has(service)) return ControlStatus.REFUSED
    // A flood must not fill the service's link queue (which would destroy its circuit).
    if (service.introduceBucket?.tryTake() === false) return ControlStatus.REFUSED
    originate(this.router, service, { command: RelayCommand.INTRODUCE2, streamId: 0, data })
    return ControlStatus.OK
  }

  /** `circ` is being destroyed: drop what it registered. */
  forget (circ: RelayCircuit): void {
    if (circ.introAuthId != null && this.introPoints.get(circ.introAuthId) === circ) this.introPoints.delete(circ.introAuthId)
    if (circ.cookie != null && this.rendezvous.get(circ.cookie)?.circ === circ) this.rendezvous.delete(circ.cookie)
  }
}
