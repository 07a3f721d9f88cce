/**
 * ICE server hand-out: how a tab gets STUN and TURN servers without ever
 * asking a third party.
 *
 * Each bootstrap relay may run a TURN/STUN server (coturn) beside it. A tab
 * opens a stream on {@link ICE_SERVERS_PROTOCOL} to a bootstrap relay it is
 * connected to and reads one length-prefixed reply: the relay's STUN and TURN
 * URLs with short-lived TURN credentials (the TURN REST API scheme coturn
 * implements with `use-auth-secret`: username `expiry:tag`, credential
 * base64(HMAC-SHA1(secret, username)); draft-uberti-behave-turn-rest-00 §2.2).
 * The tab renews them before `expiresAt`; each new WebRTC connection uses the
 * current set. The reply travels inside the libp2p connection (Noise), so only
 * the relay the tab chose can hand it servers.
 *
 * This module is only the wire format: pure, bounded and strict.
 */

import { ByteReader, concatBytes, writeU32 } from '../bytes.ts'
import { MalformedCellError } from '../errors.ts'

/** Protocol id of the ICE-server stream. */
export const ICE_SERVERS_PROTOCOL = '/shallot/ice/1.0.0'

/** Most servers one reply may list. */
export const ICE_MAX_SERVERS = 8

/** Most URLs one server entry may list. */
export const ICE_MAX_URLS = 8

/** Longest URL, username or credential accepted, in bytes (each is length-prefixed by one byte). */
const ICE_MAX_FIELD_BYTES = 255

/** Largest encoded reply accepted, in bytes. */
export const ICE_MAX_REPLY_BYTES = 16 * 1024

/** One RTCIceServer as the wire carries it (no `credentialType`: always a password). */
export interface IceServerEntry {
  readonly urls: readonly string[]
  readonly username?: string
  readonly credential?: string
}

export interface IceServersReply {
  /**
   * The relay's clock when it made the reply (Unix seconds). A tab measures the
   * credentials' lifetime as expiresAt − issuedAt against its own clock, so a
   * tab whose clock is off still renews in time.
   */
  readonly issuedAt: number
  /** When the credentials stop working for new allocations (Unix seconds, relay's clock). 0: no credentials (STUN only). */
  readonly expiresAt: number
  readonly servers: readonly IceServerEntry[]
}

export class IceServersFormatError extends Error {
  readonly kind = 'malformed-ice-servers' as const
  constructor (message: string) {
    super(message)
    this.name = 'IceServersFormatError'
  }
}

/**
 * The URL schemes a tab accepts (RFC 7064 `stun:`, RFC 7065 `turn:`/`turns:`).
 * Anything else (http:, javascript:, data:) is refused: the list ends up in
 * RTCPeerConnection's configuration, which must never be a way to make the
 * browser fetch something else.
 */
const ICE_URL = /^(stun|turn|turns):[A-Za-z0-9.\-[\]:]+(\?transport=(udp|tcp))?$/

export function isIceUrl (url: string): boolean {
  return url.length <= ICE_MAX_FIELD_BYTES && ICE_URL.test(url)
}

const isU32 = (n: number): boolean => Number.isInteger(n) && n >= 0 && n <= 0xffffffff
const textEncoder = new TextEncoder()
const textDecoder = new TextDecoder('utf-8', { fatal: true })

/**
 * Layout: u8 version (1) | u32 BE issuedAt | u32 BE expiresAt | u8 count |
 * count × (u8 urlCount | urlCount × (u8 len | url) | u8 len | username | u8 len | credential).
 * An empty username and credential mean none (a STUN entry).
 */
export function encodeIceServers (reply: IceServersReply): Uint8Array {
  const { servers } = reply
  if (servers.length > ICE_MAX_SERVERS) throw new IceServersFormatError('too many servers')
  if (!isU32(reply.issuedAt) || !isU32(reply.expiresAt)) throw new IceServersFormatError('bad time')
  if (reply.expiresAt !== 0 && reply.expiresAt < reply.issuedAt) throw new IceServersFormatError('expires before issued')
  const head = new Uint8Array(10)
  head[0] = 1
  writeU32(head, 1, reply.issuedAt)
  writeU32(head, 5, reply.expiresAt)
  head[9] = servers.length
  const parts: Uint8Array[] = [head]
  const field = (value: string): void => {
    const bytes = textEncoder.encode(value)
    if (bytes.length > ICE_MAX_FIELD_BYTES) throw new IceServersFormatError('field too long')
    parts.push(Uint8Array.of(bytes.length), bytes)
  }
  for (const server of servers) {
    validateEntry(server)
    parts.push(Uint8Array.of(server.urls.length))
    for (const url of server.urls) field(url)
    field(server.username ?? '')
    field(server.credential ?? '')
  }
  const out = concatBytes(...parts)
  if (out.length > ICE_MAX_REPLY_BYTES) throw new IceServersFormatError('reply too large')
  return out
}

export function decodeIceServers (bytes: Uint8Array): IceServersReply {
  if (bytes.length > ICE_MAX_REPLY_BYTES) throw new IceServersFormatError('reply too large')
  if (bytes.length < 10 || bytes[0] !== 1) throw new IceServersFormatError('unknown version')
  const r = new ByteReader(bytes, 'ice servers')
  try {
    r.u8()
    const issuedAt = r.u32()
    const expiresAt = r.u32()
    if (expiresAt !== 0 && expiresAt < issuedAt) throw new IceServersFormatError('expires before issued')
    const count = r.u8()
    if (count > ICE_MAX_SERVERS) throw new IceServersFormatError('too many servers')
    const field = (): string => {
      try {
        return textDecoder.decode(r.bytes(r.u8()))
      } catch (err) {
        if (err instanceof TypeError) throw new IceServersFormatError('field is not utf-8')
        throw err
      }
    }
    const servers: IceServerEntry[] = []
    for (let i = 0; i < count; i++) {
      const urlCount = r.u8()
      if (urlCount === 0 || urlCount > ICE_MAX_URLS) throw new IceServersFormatError('bad url count')
      const urls: string[] = []
      for (let u = 0; u < urlCount; u++) urls.push(field())
      const username = field()
      const credential = field()
      const entry: IceServerEntry = username === '' && credential === '' ? { urls } : { urls, username, credential }
      validateEntry(entry)
      servers.push(entry)
    }
    if (r.remaining !== 0) throw new IceServersFormatError('trailing bytes')
    return { issuedAt, expiresAt, servers }
  } catch (err) {
    if (err instanceof MalformedCellError) throw new IceServersFormatError('truncated reply')
    throw err
  }
}

function validateEntry (entry: IceServerEntry): void {
  if (entry.urls.length === 0 || entry.urls.length > ICE_MAX_URLS) throw new IceServersFormatError('bad url count')
  for (const url of entry.urls) {
    if (!isIceUrl(url)) throw new IceServersFormatError('not a stun:, turn: or turns: url')
  }
  const needsCredentials = entry.urls.some(u => u.startsWith('turn'))
  const hasUsername = entry.username != null && entry.username !== ''
  const hasCredential = entry.credential != null && entry.credential !== ''
  if (hasUsername !== hasCredential) throw new IceServersFormatError('username without credential')
  if (needsCredentials && !hasUsername) throw new IceServersFormatError('turn url without credentials')
}
