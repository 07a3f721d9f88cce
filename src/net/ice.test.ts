import { describe, expect, it } from 'vitest'
import { IceServerProvider } from './ice.ts'
import type { IceServersReply } from '../core/discovery/ice-servers.ts'

const reply = (issuedAt: number, ttl: number, tag = 'x'): IceServersReply => ({
  issuedAt,
  expiresAt: issuedAt + ttl,
  servers: [
    { urls: ['stun:203.0.113.10:3478'] },
    { urls: ['turn:203.0.113.10:3478?transport=udp'], username: `${issuedAt + ttl}:${tag}`, credential: 'c' }
  ]
})

describe('ICE servers from the bootstrap relays', () => {
  it('no relay has answered: no ICE server at all (no third party is ever asked)', () => {
    const ice = new IceServerProvider(() => 0)
    expect(ice.rtcConfiguration()).toEqual({ iceServers: [], iceTransportPolicy: 'all' })
  })

  it('each new connection gets the current servers; "hide my IP" makes the policy relay-only', () => {
    const ice = new IceServerProvider(() => 0)
    ice.accept('relay-1', reply(1_000, 600))
    const config = ice.rtcConfiguration()
    expect(config.iceServers).toHaveLength(2)
    expect(config.iceServers?.[1]).toMatchObject({ username: '1600:x', credential: 'c' })
    ice.setRelayOnly(true)
    expect(ice.rtcConfiguration().iceTransportPolicy).toBe('relay')
    expect(ice.snapshot()).toMatchObject({ hasStun: true, hasTurn: true, relayOnly: true, relaysWithIce: 1 })
  })

  it('renews at half the lifetime measured on its own clock, whatever the relay\'s clock says', () => {
    let now = 5_000_000 // our clock is far from the relay's 1_000 s
    const ice = new IceServerProvider(() => now)
    ice.accept('relay-1', reply(1_000, 600))
    expect(ice.due('relay-1')).toBe(false)
    now += 299_000
    expect(ice.due('relay-1')).toBe(false)
    now += 2_000
    expect(ice.due('relay-1')).toBe(true)
    // Not renewed in time: expired credentials are dropped before any connection can use them.
    now += 300_000
    ice.prune()
    expect(ice.rtcConfiguration().iceServers).toEqual([])
    expect(ice.snapshot().turnExpiresAt).toBeNull()
  })

  it('a renewal replaces the old credentials; a forgotten relay\'s servers go', () => {
    let now = 0
    const ice = new IceServerProvider(() => now)
    ice.accept('r', reply(0, 60, 'old'))
    now = 31_000
    ice.accept('r', reply(31, 60, 'new'))
    expect(ice.rtcConfiguration().iceServers?.[1]?.username).toBe('91:new')
    expect(ice.snapshot().fetches).toBe(2)
    ice.forget('r')
    expect(ice.rtcConfiguration().iceServers).toEqual([])
  })
})
