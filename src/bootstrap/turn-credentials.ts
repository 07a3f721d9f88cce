/**
 * Short-lived TURN credentials for the coturn server beside this relay.
 *
 * coturn's `use-auth-secret` mode (the "TURN REST API",
 * draft-uberti-behave-turn-rest-00 §2.2, coturn README.turnserver) shares one
 * secret between coturn and whoever hands out credentials:
 *
 *   username   = "<expiry, Unix seconds>:<tag>"
 *   credential = base64(HMAC-SHA1(secret, username))
 *
 * coturn recomputes the HMAC and refuses a username whose expiry has passed
 * when an allocation is made. An allocation made in time is refreshed with the
 * key it was made with, so a connection outlives its credentials; a tab only
 * needs fresh ones for new connections (docs/NETWORK.md).
 *
 * The tag is random per hand-out, never the tab's peer id: coturn's logs then
 * cannot be joined with anything the relay knows about a tab.
 */
import { createHmac, randomBytes } from 'node:crypto'
import { isIceUrl, type IceServersReply } from '../core/discovery/ice-servers.js'

/** Default lifetime of handed-out credentials. Tabs renew at half of it. */
export const TURN_CREDENTIAL_TTL_S = 3600

/** Shortest lifetime accepted on the command line (tests use short ones to watch renewal). */
export const TURN_CREDENTIAL_MIN_TTL_S = 10

export interface IceConfig {
  /** stun:, turn: and turns: URLs of the server(s) beside this relay. */
  urls: string[]
  /** coturn's `static-auth-secret`; required when any URL is turn: or turns:. */
  secret?: string
  ttlSeconds?: number
}

export class IceConfigError extends Error {
  readonly kind = 'bad-ice-config' as const
  constructor (message: string) {
    super(message)
    this.name = 'IceConfigError'
  }
}

/** Check an operator's ICE configuration once, at start-up, with a clear message. */
export function validateIceConfig (config: IceConfig): void {
  if (config.urls.length === 0) throw new IceConfigError('no ICE urls given')
  for (const url of config.urls) {
    if (!isIceUrl(url)) throw new IceConfigError(`not a stun:, turn: or turns: url: ${url}`)
  }
  const ttl = config.ttlSeconds ?? TURN_CREDENTIAL_TTL_S
  if (!Number.isInteger(ttl) || ttl < TURN_CREDENTIAL_MIN_TTL_S) throw new IceConfigError(`credential lifetime must be at least ${TURN_CREDENTIAL_MIN_TTL_S} s`)
  if (config.urls.some(isTurnUrl) && (config.secret == null || config.secret === '')) {
    throw new IceConfigError('turn: urls need the TURN secret (coturn static-auth-secret)')
  }
}

export function isTurnUrl (url: string): boolean {
  return url.startsWith('turn:') || url.startsWith('turns:')
}

/** base64(HMAC-SHA1(secret, username)), as coturn computes it for `use-auth-secret`. */
export function turnRestCredential (secret: string, username: string): string {
  return createHmac('sha1', secret).update(username).digest('base64')
}

/**
 * The reply for one tab: STUN URLs without credentials, TURN URLs with a fresh
 * username and credential valid until now + ttl.
 */
export function issueIceServers (config: IceConfig, nowMs: number, tag: string = randomBytes(8).toString('hex')): IceServersReply {
  const stun = config.urls.filter(u => u.startsWith('stun:'))
  const turn = config.urls.filter(isTurnUrl)
  const servers: Array<IceServersReply['servers'][number]> = []
  if (stun.length > 0) servers.push({ urls: stun })
  const issuedAt = Math.floor(nowMs / 1000)
  let expiresAt = 0
  if (turn.length > 0) {
    if (config.secret == null) throw new IceConfigError('turn: urls need the TURN secret')
    expiresAt = issuedAt + (config.ttlSeconds ?? TURN_CREDENTIAL_TTL_S)
    const username = `${expiresAt}:${tag}`
    servers.push({ urls: turn, username, credential: turnRestCredential(config.secret, username) })
  }
  return { issuedAt, expiresAt, servers }
}
