/**
 * Building a client circuit (tor-spec §5.1): each hop runs its own ntor
 * handshake with the client and learns only its predecessor and successor.
 *
 * Paths of up to three hops go out pipelined: one CREATE whose onward header
 * (crypto/onward.ts) tells each hop, sealed to it, where to extend next, so
 * the build takes one round trip of the path (docs/PROTOCOL.md §7 "Building
 * with an onward header"). Longer paths, or `telescope`, extend hop by hop
 * (tor-spec §5.1, §5.1.2): CREATE/CREATED with the first hop, then
 * EXTEND/EXTENDED through the circuit.
 *
 * Every wait is bounded (buildTimeoutMs for the whole build, hopTimeoutMs per
 * hop, path-spec §2.4 in spirit) and a failure is put down to the hop that did
 * not answer, so the app avoids that relay and counts only hop-0 failures
 * against a guard (guard-spec §4.8). Secrets of hops never reached are wiped.
 */
import { HandshakeType, LinkCommand, RelayCommand, DestroyReason, encodeExtend } from '../cell/index.ts'
import { joinOnwardHdata, ONWARD_MAX_HOPS, sealOnwardHeader } from '../crypto/index.ts'
import { ClientCircuit } from './client-circuit.ts'
import { CircuitLimitError, CircuitTimeoutError } from './errors.ts'
import { makeOnionskin, wipeOnionskin, type PendingOnionskin } from './onionskin.ts'
import type { OnionRouter } from './router.ts'
import { keyOf, type BuildOptions, type BuildProgress, type HopState, type RelayInfo } from './types.ts'

const textEncoder = new TextEncoder()

/**
 * {@link OnionRouter.buildCircuit}: build a circuit through `path` (first hop first). Resolves when every hop
 * is open; rejects with a named error (timeout, closed, handshake) otherwise.
 */
export async function buildCircuit (router: OnionRouter, path: readonly RelayInfo[], onProgress?: (p: BuildProgress) => void, opts: BuildOptions = {}): Promise<ClientCircuit> {
  if (path.length === 0) throw new RangeError('buildCircuit: empty path')
  // A service whose client chose this very tab as the rendezvous point loops
  // back to itself through other relays, so the client cannot tell (docs/RENDEZVOUS.md §1).
  const mustNotBeSelf = opts.lastHopMayBeSelf === true && path.length > 1 ? path.slice(0, -1) : path
  if (mustNotBeSelf.some(h => h.peerId === router.opts.peerId)) throw new RangeError('buildCircuit: path contains this peer')
  if (new Set(path.map(h => h.peerId)).size !== path.length) throw new RangeError('buildCircuit: hops must be distinct')
  const firstPeer = path[0]!.peerId
  const report = (hop: number, state: HopState, circ: ClientCircuit): void => { circ.hopStates[hop] = state; onProgress?.({ hop, state }) }
  try {
    await router.opts.links.connect(firstPeer)
  } catch (err) {
    // No channel to the first hop: its failure (guard-spec §4.8: a failure to connect to the guard).
    onProgress?.({ hop: 0, state: 'failed' })
    throw err
  }
  // Checked after the await, so concurrent builds cannot all pass it.
  if (router.clientCircuits.size >= router.limits.maxClientCircuits) throw new CircuitLimitError('too many client circuits')
  const circ = new ClientCircuit(router, { peer: firstPeer, circId: router.newCircId(firstPeer) }, path, router.limits)
  router.clientCircuits.add(circ)
  router.byKey.set(keyOf(circ.first.peer, circ.first.circId), { role: 'client', circ })
  const cancel = router.opts.setTimer(router.limits.buildTimeoutMs, () => {
    if (circ.state === 'building') router.destroyClient(circ, DestroyReason.TIMEOUT, new CircuitTimeoutError('circuit build timed out'))
  })
  // Every hop's onionskin depends only on its descriptor: make them all now,
  // so that after each reply only the handshake's last X25519 is on the
  // critical path (the build is three round trips plus that).
  const onionskins = path.map(hop => router.onionskins.take(hop) ?? makeOnionskin(hop, router.opts.random, router.dh))
  // Observed below, hop by hop; an onionskin that cannot be made (the
  // descriptor's onion key is unusable) is that hop's failure, not the first hop's.
  const skinErrors = new Map<unknown, number>()
  onionskins.forEach((p, i) => { p.catch((err: unknown) => { if (!skinErrors.has(err)) skinErrors.set(err, i) }) })
  try {
    if (path.length <= ONWARD_MAX_HOPS && opts.telescope !== true) await buildWithOnwardHeader(router, circ, path, onionskins, report)
    else await buildByTelescoping(router, circ, path, onionskins, report)
    circ.state = 'open'
    // The next build most likely starts at the same entry guard: have its
    // onionskin ready, off this build's critical path.
    router.onionskins.prepare(path[0]!)
    return circ
  } catch (err) {
    const skinHop = skinErrors.get(err)
    if (skinHop != null) circ.failedHop ??= skinHop
    router.destroyClient(circ, DestroyReason.NONE, err as Error)
    // Which hop it failed at: the app avoids that relay, and counts it against a guard only at hop 0.
    if (circ.failedHop != null) report(circ.failedHop, 'failed', circ)
    // Wipe the secrets of hops never reached.
    for (const p of onionskins) wipeOnionskin(p, router.dh)
    throw err
  } finally {
    cancel()
  }
}

/**
 * Telescoping (tor-spec §5.1, §5.1.2): CREATE to the first hop, then one
 * EXTEND through the circuit per further hop, each sent once the hop before
 * has answered.
 */
async function buildByTelescoping (router: OnionRouter, circ: ClientCircuit, path: readonly RelayInfo[], onionskins: PendingOnionskin[], report: (hop: number, state: HopState, circ: ClientCircuit) => void): Promise<void> {
  // Unused when telescoping.
  for (const p of onionskins) void p.then(({ onward }) => { onward.enc.fill(0); onward.mac.fill(0) }, () => {})
  report(0, 'extending', circ)
  const first = await onionskins[0]!
  circ.assertBuilding()
  circ.addPendingHandshake(first.state)
  const step0 = circ.waitStep()
  router.sendLink(circ.first.peer, { circId: circ.first.circId, msg: { command: LinkCommand.CREATE, htype: HandshakeType.NTOR, hdata: first.onionskin } })
  await stepWithTimeout(router, circ, 0, step0)
  report(0, 'open', circ)
  for (let i = 1; i < path.length; i++) {
    report(i, 'extending', circ)
    const hop = path[i]!
    const { state, onionskin } = await onionskins[i]!
    circ.assertBuilding()
    circ.addPendingHandshake(state)
    const step = circ.waitStep()
    const linkSpec = textEncoder.encode(hop.peerId)
    router.sendRelay(circ, i - 1, { command: RelayCommand.EXTEND, streamId: 0, data: encodeExtend({ linkSpec, nodeId: hop.nodeId, htype: HandshakeType.NTOR, hdata: onionskin }) })
    await stepWithTimeout(router, circ, i, step)
    report(i, 'open', circ)
  }
}

/**
 * Pipelined (docs/PROTOCOL.md §7 "Building with an onward header"): one CREATE whose onward header names
 * every further hop, sealed hop by hop (crypto/onward.ts). Each hop answers
 * its own ntor handshake, and at once sends the CREATE its slot holds; the
 * replies come back in path order, hop 0's as CREATED, the others' as
 * EXTENDED from the hop before, exactly as if each had been an EXTEND. One
 * path's round trip instead of one per hop.
 */
async function buildWithOnwardHeader (router: OnionRouter, circ: ClientCircuit, path: readonly RelayInfo[], onionskins: PendingOnionskin[], report: (hop: number, state: HopState, circ: ClientCircuit) => void): Promise<void> {
  for (let i = 0; i < path.length; i++) report(i, 'extending', circ)
  const skins = await Promise.all(onionskins)
  circ.assertBuilding()
  const hops = skins.map(({ onward, onionskin }, i) => ({ keys: onward, linkSpec: textEncoder.encode(path[i]!.peerId), onionskin }))
  const header = sealOnwardHeader(hops, router.opts.random)
  for (const { keys } of hops) { keys.enc.fill(0); keys.mac.fill(0) }
  const steps = path.map(() => circ.waitStep())
  for (const step of steps) step.catch(() => {}) // each is awaited below, in turn
  for (const { state } of skins) circ.addPendingHandshake(state)
  router.sendLink(circ.first.peer, { circId: circ.first.circId, msg: { command: LinkCommand.CREATE, htype: HandshakeType.NTOR_ONWARD, hdata: joinOnwardHdata(skins[0]!.onionskin, header) } })
  for (let i = 0; i < path.length; i++) {
    await stepWithTimeout(router, circ, i, steps[i]!)
    report(i, 'open', circ)
  }
}

/**
 * Wait for one hop's CREATED/EXTENDED, at most `hopTimeoutMs`: a hop that
 * left without its channel closing yet (a closed tab whose WebRTC close has
 * not arrived) would otherwise hold the build for the whole build timeout.
 * Tor bounds builds the same way with its learned circuit build timeout
 * (path-spec §2.4); a fixed, generous bound serves tabs.
 */
async function stepWithTimeout (router: OnionRouter, circ: ClientCircuit, hop: number, step: Promise<void>): Promise<void> {
  const cancel = router.opts.setTimer(router.limits.hopTimeoutMs, () => {
    if (circ.state === 'building') router.destroyClient(circ, DestroyReason.TIMEOUT, new CircuitTimeoutError(`hop ${hop} did not answer in time`))
  })
  try {
    await step
  } finally {
    cancel()
  }
}
