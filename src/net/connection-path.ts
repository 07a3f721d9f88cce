/**
 * How a direct WebRTC connection actually travels, read from the browser's
 * own statistics (`RTCPeerConnection.getStats()`, W3C webrtc-stats §
 * RTCIceCandidatePairStats): the selected candidate pair's local and remote
 * candidate types. `relay` on either side means the bytes go through a TURN
 * server; `srflx`/`prflx` a public address learned through STUN or a NAT
 * mapping; `host` an address on the device's own network.
 *
 * @libp2p/webrtc does not expose the RTCPeerConnection behind a libp2p
 * Connection; its MultiaddrConnection holds it as `peerConnection`
 * (rtcpeerconnection-to-conn.js), which libp2p's Connection keeps as
 * `maConn`. {@link peerConnectionOf} reads exactly that and checks what it
 * found, so a library change yields `null` (the UI then says "unknown"), never
 * a crash; the network e2e tests fail if it stops working.
 */
import type { Connection } from '@libp2p/interface'

export type CandidateType = 'host' | 'srflx' | 'prflx' | 'relay'

export interface ConnectionPath {
  readonly local: CandidateType
  readonly remote: CandidateType
  /** Through a TURN server (either side's candidate is relayed). */
  readonly relayed: boolean
  /** udp or tcp, between this tab and the first hop (its peer, or its TURN server). */
  readonly protocol: string
}

export function peerConnectionOf (connection: Connection): RTCPeerConnection | null {
  const maConn = (connection as unknown as { maConn?: { peerConnection?: unknown } }).maConn
  const pc = maConn?.peerConnection
  return typeof RTCPeerConnection !== 'undefined' && pc instanceof RTCPeerConnection ? pc : null
}

const TYPES = new Set<string>(['host', 'srflx', 'prflx', 'relay'])

/** The selected candidate pair of `stats`, or null while ICE has not selected one. */
export function pathFromStats (stats: RTCStatsReport | Map<string, Record<string, unknown>>): ConnectionPath | null {
  const byId = new Map<string, Record<string, unknown>>()
  stats.forEach((s: Record<string, unknown>) => { byId.set(String(s.id), s) })
  let pair: Record<string, unknown> | undefined
  for (const s of byId.values()) {
    if (s.type === 'transport' && typeof s.selectedCandidatePairId === 'string') pair = byId.get(s.selectedCandidatePairId)
  }
  // Fallback (older implementations): the nominated, succeeded pair.
  pair ??= [...byId.values()].find(s => s.type === 'candidate-pair' && s.nominated === true && s.state === 'succeeded')
  if (pair == null) return null
  const local = byId.get(String(pair.localCandidateId))
  const remote = byId.get(String(pair.remoteCandidateId))
  const lt = String(local?.candidateType)
  const rt = String(remote?.candidateType)
  if (!TYPES.has(lt) || !TYPES.has(rt)) return null
  return { local: lt as CandidateType, remote: rt as CandidateType, relayed: lt === 'relay' || rt === 'relay', protocol: String(local?.protocol ?? 'udp') }
}

export async function connectionPath (connection: Connection): Promise<ConnectionPath | null> {
  const pc = peerConnectionOf(connection)
  if (pc == null) return null
  try {
    return pathFromStats(await pc.getStats())
  } catch {
    return null
  }
}
