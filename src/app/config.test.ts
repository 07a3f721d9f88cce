import { describe, expect, it } from 'vitest'
import { isLocalHost, isLoopbackHost, resolveNetworkConfig } from './config.ts'

const BUILT_IN = '/dns4/relay.example/tcp/443/wss/p2p/12D3KooWBuiltIn'
const EVIL = 'https://their-server.example/'

describe('network config', () => {
  it('a deployed app uses its built-in relays, never ones a URL names', () => {
    const r = resolveNetworkConfig({ search: `?bootstrap=${encodeURIComponent(EVIL)}&peers=1`, hostname: 'shallot.example', hash: '' }, BUILT_IN)
    expect(r.config.bootstraps).toEqual([BUILT_IN])
    expect(r.config.maxDirectPeers).toBe(8)
    expect(r.config.allowLocalAddresses).toBe(false)
    // The URL's relay waits for the person's confirmation in Settings; the query leaves the address bar.
    expect(r.suggested).toEqual([EVIL])
    expect(r.dropQuery).toBe(true)
  })

  it('a hostile ?bootstrap= on an invite link suggests nothing at all', () => {
    const r = resolveNetworkConfig({ search: `?bootstrap=${encodeURIComponent(EVIL)}`, hostname: 'shallot.example', hash: '#invite=AAAA' }, BUILT_IN)
    expect(r.config.bootstraps).toEqual([BUILT_IN])
    expect(r.suggested).toEqual([])
    expect(r.dropQuery).toBe(true)
  })

  it('the person\'s choices: built-ins turned off, relays added', () => {
    const added = '/dns4/mine.example/tcp/443/wss/p2p/12D3KooWMine'
    const r = resolveNetworkConfig({ search: `?bootstrap=${encodeURIComponent(added)}`, hostname: 'shallot.example', hash: '' }, BUILT_IN, { added: [added], removedBuiltIns: [BUILT_IN] })
    expect(r.config.bootstraps).toEqual([added])
    expect(r.builtIns).toEqual([BUILT_IN])
    // Already chosen: nothing left to suggest.
    expect(r.suggested).toEqual([])
  })

  it('on this machine (development, tests) the URL is taken as given', () => {
    const c = resolveNetworkConfig({ search: '?bootstrap=/ip4/1.2.3.4/tcp/1/ws/p2p/x,http://h:1/&bootstrap=/dns4/a/tcp/443/wss&peers=3', hostname: '127.0.0.1', hash: '#invite=AAAA' }, '/dns4/b/tcp/443/wss')
    expect(c.config.bootstraps).toEqual(['/ip4/1.2.3.4/tcp/1/ws/p2p/x', 'http://h:1/', '/dns4/a/tcp/443/wss'])
    expect(c.config.maxDirectPeers).toBe(3)
    expect(c.config.allowLocalAddresses).toBe(true)
    expect(c.suggested).toEqual([])
    expect(c.dropQuery).toBe(false)
    expect(resolveNetworkConfig({ search: '', hostname: 'localhost', hash: '' }, ' /dns4/b/tcp/443/wss , ').config.bootstraps).toEqual(['/dns4/b/tcp/443/wss'])
  })

  it('bounds the direct peer setting', () => {
    const at = (search: string): number | undefined => resolveNetworkConfig({ search, hostname: '127.0.0.1', hash: '' }, '').config.maxDirectPeers
    expect(at('?peers=3')).toBe(3)
    expect(at('?peers=1000')).toBe(32)
    expect(at('?peers=-1')).toBe(8)
  })

  it('tells loopback (URL trusted) from local networks (local dials allowed) from the internet', () => {
    expect(isLoopbackHost('127.0.0.1')).toBe(true)
    expect(isLoopbackHost('localhost')).toBe(true)
    expect(isLoopbackHost('192.168.1.4')).toBe(false)
    expect(isLocalHost('127.0.0.1')).toBe(true)
    expect(isLocalHost('192.168.1.4')).toBe(true)
    expect(isLocalHost('172.32.0.1')).toBe(false)
    expect(isLocalHost('shallot.example')).toBe(false)
    expect(isLoopbackHost('127.0.0.1.evil.example')).toBe(false)
  })
})
