/**
 * Where the app's network settings come from, in order of precedence:
 *
 * 1. the page URL: `?bootstrap=<multiaddr or http(s) URL>[,…]` (repeatable),
 *    `?peers=<n>` for the number of direct peers to keep;
 * 2. the build: `VITE_BOOTSTRAP` (comma-separated), set when deploying.
 *
 * Local addresses (ws://, loopback, private ranges) are dialable only when the
 * app itself is served from such a host: a developer's machine. A deployed app
 * on a public origin keeps libp2p's strict browser defaults.
 */
import type { NetworkConfig } from '../net/network.ts'
import { DEFAULT_MAX_DIRECT_PEERS } from '../net/constants.ts'

/** Most direct peers a user may ask for in the URL; beyond it a tab spends its CPU on WebRTC. */
export const MAX_DIRECT_PEERS_SETTING = 32

export function resolveNetworkConfig (location: Pick<Location, 'search' | 'hostname'>, buildBootstraps: string | undefined): NetworkConfig {
  const params = new URLSearchParams(location.search)
  const fromUrl = params.getAll('bootstrap').flatMap(splitList)
  const bootstraps = fromUrl.length > 0 ? fromUrl : splitList(buildBootstraps ?? '')
  const peers = Number(params.get('peers'))
  const maxDirectPeers = Number.isInteger(peers) && peers > 0 ? Math.min(peers, MAX_DIRECT_PEERS_SETTING) : DEFAULT_MAX_DIRECT_PEERS
  return { bootstraps: [...new Set(bootstraps)], maxDirectPeers, allowLocalAddresses: isLocalHost(location.hostname), iceServers: [] }
}

function splitList (value: string): string[] {
  return value.split(',').map(s => s.trim()).filter(Boolean)
}

export function isLocalHost (hostname: string): boolean {
  if (hostname === 'localhost' || hostname.endsWith('.localhost') || hostname === '[::1]' || hostname === '::1') return true
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(hostname)
  if (m == null) return false
  const [a, b] = [Number(m[1]), Number(m[2])]
  return a === 127 || a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)
}
