/**
 * Which kinds of ICE candidate this tab can gather with its current ICE
 * configuration, for the connectivity line in Settings:
 *
 * - `host`: an address on the device's own network (Chromium shows it as an
 *   mDNS name); enough for tabs on the same network;
 * - `srflx`: the public address the NAT maps this tab to, learned from STUN;
 *   with it, tabs behind most home NATs can connect directly;
 * - `relay`: an address on a TURN server; works behind any NAT, at the cost
 *   of a detour (and the TURN operator seeing both ends' addresses).
 *
 * It makes one throwaway RTCPeerConnection with a data channel, lets it
 * gather, and closes it. No packet goes to any peer; a TURN allocation made
 * for the probe is released with the connection.
 */
import type { CandidateType } from './connection-path.ts'

/** Longest wait for candidate gathering. */
export const PROBE_TIMEOUT_MS = 8_000

export interface ProbeResult {
  readonly kinds: ReadonlySet<CandidateType>
  /** Gathering ended by itself (false: cut short by the timeout). */
  readonly complete: boolean
}

export async function probeCandidateKinds (config: RTCConfiguration, timeoutMs = PROBE_TIMEOUT_MS): Promise<ProbeResult> {
  const pc = new RTCPeerConnection(config)
  const kinds = new Set<CandidateType>()
  try {
    pc.createDataChannel('probe')
    const done = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => { resolve(false) }, timeoutMs)
      pc.addEventListener('icecandidate', (evt) => {
        if (evt.candidate == null) {
          clearTimeout(timer)
          resolve(true)
          return
        }
        const type = evt.candidate.type
        if (type === 'host' || type === 'srflx' || type === 'prflx' || type === 'relay') kinds.add(type)
      })
    })
    await pc.setLocalDescription(await pc.createOffer())
    const complete = await done
    return { kinds, complete }
  } finally {
    pc.close()
  }
}
