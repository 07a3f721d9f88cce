/**
 * The bootstrap relays a tab uses, as entries the peer manager keeps per
 * configured address: where it is (multiaddrs, or an http(s) info endpoint
 * that returns them), its peer id once known, and whether the tab is
 * connected. Display labels never show a peer id.
 */
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'

export type BootstrapState = 'connecting' | 'connected' | 'unreachable'

export interface BootstrapStatus {
  /** The configured entry, shortened for display (no peer id). */
  readonly label: string
  readonly state: BootstrapState
}

export interface BootstrapEntry {
  readonly configured: string
  readonly label: string
  addrs: Multiaddr[]
  peerId: string | null
  state: BootstrapState
}

export class BootstrapAddressError extends Error {
  readonly kind = 'bad-bootstrap-address' as const
  constructor (message: string) {
    super(message)
    this.name = 'BootstrapAddressError'
  }
}

export function newBootstrapEntry (configured: string): BootstrapEntry {
  return { configured, label: bootstrapLabel(configured), addrs: [], peerId: null, state: 'connecting' }
}

/** A bootstrap's display label: host and port, never the peer id. */
export function bootstrapLabel (configured: string): string {
  if (/^https?:\/\//.test(configured)) {
    try {
      return new URL(configured).host
    } catch {
      return 'bootstrap relay'
    }
  }
  try {
    const parts = multiaddr(configured).getComponents()
    const host = parts.find(c => ['ip4', 'ip6', 'dns', 'dns4', 'dns6'].includes(c.name))?.value
    const port = parts.find(c => c.name === 'tcp')?.value
    return host != null ? `${host}${port != null ? `:${port}` : ''}` : 'bootstrap relay'
  } catch {
    return 'bootstrap relay'
  }
}

/**
 * Whether `value` can name a bootstrap relay: a multiaddr ending in the
 * relay's peer id, or an http(s) URL of its info endpoint. Checked before a
 * person's entry is saved, so Settings can say what is wrong.
 */
export function parseBootstrapAddress (value: string): string {
  const v = value.trim()
  if (/^https?:\/\//.test(v)) {
    try {
      const url = new URL(v)
      if (url.username !== '' || url.password !== '') throw new BootstrapAddressError('a relay URL carries no user name or password')
      return url.toString()
    } catch (err) {
      if (err instanceof BootstrapAddressError) throw err
      throw new BootstrapAddressError('not a valid URL')
    }
  }
  let ma: Multiaddr
  try {
    ma = multiaddr(v)
  } catch {
    throw new BootstrapAddressError('not a multiaddr or an https:// URL')
  }
  const names = ma.getComponents().map(c => c.name)
  if (!names.includes('ws') && !names.includes('wss') && !names.includes('tls')) throw new BootstrapAddressError('a relay is reached over WebSockets (/ws or /wss)')
  if (names.at(-1) !== 'p2p') throw new BootstrapAddressError('the address must end with the relay\'s /p2p/<peer id>')
  return ma.toString()
}

export async function fetchRelayAddrs (url: string, timeoutMs = 5_000): Promise<Multiaddr[]> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), cache: 'no-store', credentials: 'omit', referrerPolicy: 'no-referrer' })
  if (!res.ok) throw new BootstrapAddressError(`relay info endpoint answered ${res.status}`)
  const body = await res.json() as { multiaddrs?: unknown }
  if (!Array.isArray(body.multiaddrs)) throw new BootstrapAddressError('relay info endpoint sent no multiaddrs')
  return body.multiaddrs.filter((a): a is string => typeof a === 'string').map(a => multiaddr(a))
}
