/**
 * Which bootstrap relays a tab uses, and why nobody else gets to choose them.
 *
 * The bootstrap relays decide whom a tab meets first: its neighbours, and so
 * (through them) its directory and every hop. A link is easy to tamper with
 * (an invite's signature covers only its fragment), so a relay named in a URL
 * is never used as it is on a deployed app:
 *
 * 1. the relays built into the app (`VITE_BOOTSTRAP` at build time), less any
 *    the person turned off, plus any they added, in Settings;
 * 2. `?bootstrap=` in a page URL is only a *suggestion*: Settings shows it and
 *    the person confirms it or not; a URL that also holds an invite
 *    (`#invite=`) suggests nothing at all (the query is dropped: whoever
 *    forwarded the invite may have appended it);
 * 3. on a page served from this very machine (loopback: a developer, a test),
 *    the URL is taken as given, as libp2p's dial rules are relaxed there.
 *
 * `?peers=N` (neighbours to keep) follows rule 3 too: on a deployed app it
 * is ignored.
 */
import type { NetworkConfig } from '../net/network.ts'
import { DEFAULT_MAX_DIRECT_PEERS } from '../net/constants.ts'
import { INVITE_FRAGMENT_PREFIX } from '../core/identity/invite.ts'

/** Most direct peers a developer may ask for in the URL; beyond it a tab spends its CPU on WebRTC. */
export const MAX_DIRECT_PEERS_SETTING = 32

/** Bootstrap choices the person made (stored in the profile, app/settings). */
export interface RelayChoices {
  /** Relays the person added. */
  readonly added: readonly string[]
  /** Built-in relays the person turned off. */
  readonly removedBuiltIns: readonly string[]
}

export const NO_RELAY_CHOICES: RelayChoices = { added: [], removedBuiltIns: [] }

export interface ResolvedNetwork {
  readonly config: NetworkConfig
  /** The app's built-in relays. */
  readonly builtIns: readonly string[]
  /** Relays a URL suggested, waiting for the person's confirmation (never used before it). */
  readonly suggested: readonly string[]
  /** The URL's query must be removed from the address bar (it carried network parameters that were not taken). */
  readonly dropQuery: boolean
}

export function resolveNetworkConfig (
  location: Pick<Location, 'search' | 'hostname' | 'hash'>,
  buildBootstraps: string | undefined,
  choices: RelayChoices = NO_RELAY_CHOICES
): ResolvedNetwork {
  const params = new URLSearchParams(location.search)
  const trusted = isLoopbackHost(location.hostname)
  const fromUrl = [...new Set(params.getAll('bootstrap').flatMap(splitList))]
  const builtIns = [...new Set(splitList(buildBootstraps ?? ''))]
  const chosen = [...new Set([...builtIns.filter(b => !choices.removedBuiltIns.includes(b)), ...choices.added])]
  const withInvite = location.hash.startsWith(INVITE_FRAGMENT_PREFIX)

  const bootstraps = trusted && fromUrl.length > 0 ? fromUrl : chosen
  const suggested = trusted || withInvite ? [] : fromUrl.filter(b => !chosen.includes(b))
  const peers = Number(params.get('peers'))
  const maxDirectPeers = trusted && Number.isInteger(peers) && peers > 0 ? Math.min(peers, MAX_DIRECT_PEERS_SETTING) : DEFAULT_MAX_DIRECT_PEERS
  return {
    config: { bootstraps, maxDirectPeers, allowLocalAddresses: isLocalHost(location.hostname) },
    builtIns,
    suggested,
    dropQuery: !trusted && (fromUrl.length > 0 || params.has('peers'))
  }
}

function splitList (value: string): string[] {
  return value.split(',').map(s => s.trim()).filter(Boolean)
}

/** This machine: the only origin whose URL parameters choose the network. */
export function isLoopbackHost (hostname: string): boolean {
  if (hostname === 'localhost' || hostname.endsWith('.localhost') || hostname === '[::1]' || hostname === '::1') return true
  return /^127\.\d+\.\d+\.\d+$/.test(hostname)
}

/** A developer's machine or LAN: ws:// and private addresses may be dialed. */
export function isLocalHost (hostname: string): boolean {
  if (isLoopbackHost(hostname)) return true
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(hostname)
  if (m == null) return false
  const [a, b] = [Number(m[1]), Number(m[2])]
  return a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)
}
