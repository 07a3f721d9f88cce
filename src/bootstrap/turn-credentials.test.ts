import { describe, expect, it } from 'vitest'
import { IceConfigError, issueIceServers, turnRestCredential, validateIceConfig } from './turn-credentials.ts'

describe('TURN REST API credentials (coturn use-auth-secret)', () => {
  it('credential = base64(HMAC-SHA1(secret, username)), checked against OpenSSL', () => {
    // Vectors computed independently with:
    //   printf %s '1700000000:shallot' | openssl dgst -sha1 -hmac 'north-wind-secret' -binary | base64
    //   printf %s '1334367362:alice'   | openssl dgst -sha1 -hmac 'mysecret' -binary | base64
    expect(turnRestCredential('north-wind-secret', '1700000000:shallot')).toBe('25mA9IWqMwxsqnZNQOMGmf4vZN8=')
    expect(turnRestCredential('mysecret', '1334367362:alice')).toBe('HEkUM0zImUCaQTMXNRSvFqDA+6Q=')
  })

  it('hands out STUN without and TURN with a username "expiry:tag" valid for the TTL', () => {
    const reply = issueIceServers({ urls: ['stun:t.example:3478', 'turn:t.example:3478?transport=udp'], secret: 's3cret', ttlSeconds: 600 }, 1_700_000_000_500, 'abcd')
    expect(reply.issuedAt).toBe(1_700_000_000)
    expect(reply.expiresAt).toBe(1_700_000_600)
    expect(reply.servers[0]).toEqual({ urls: ['stun:t.example:3478'] })
    expect(reply.servers[1]?.username).toBe('1700000600:abcd')
    expect(reply.servers[1]?.credential).toBe(turnRestCredential('s3cret', '1700000600:abcd'))
  })

  it('each hand-out has its own random tag, never the same username twice', () => {
    const config = { urls: ['turn:t.example:3478'], secret: 's' }
    const a = issueIceServers(config, 0).servers[0]?.username
    const b = issueIceServers(config, 0).servers[0]?.username
    expect(a).not.toBe(b)
  })

  it('refuses a configuration an operator got wrong, with a clear message', () => {
    expect(() => { validateIceConfig({ urls: ['turn:t.example:3478'] }) }).toThrow(IceConfigError)
    expect(() => { validateIceConfig({ urls: ['https://t.example/'] }) }).toThrow(/not a stun/)
    expect(() => { validateIceConfig({ urls: ['stun:t.example:3478'], ttlSeconds: 1 }) }).toThrow(/at least/)
    expect(() => { validateIceConfig({ urls: [] }) }).toThrow(/no ICE urls/)
    expect(() => { validateIceConfig({ urls: ['stun:t.example:3478'] }) }).not.toThrow()
  })
})
