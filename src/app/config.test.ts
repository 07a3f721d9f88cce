import { describe, expect, it } from 'vitest'
import { isLocalHost, resolveNetworkConfig } from './config.ts'

describe('network config', () => {
  it('prefers bootstraps from the URL over the build', () => {
    const c = resolveNetworkConfig({ search: '?bootstrap=/ip4/1.2.3.4/tcp/1/ws/p2p/x,http://h:1/&bootstrap=/dns4/a/tcp/443/wss', hostname: 'shallot.example' }, '/dns4/b/tcp/443/wss')
    expect(c.bootstraps).toEqual(['/ip4/1.2.3.4/tcp/1/ws/p2p/x', 'http://h:1/', '/dns4/a/tcp/443/wss'])
    expect(c.allowLocalAddresses).toBe(false)
    expect(resolveNetworkConfig({ search: '', hostname: 'x' }, ' /dns4/b/tcp/443/wss , ').bootstraps).toEqual(['/dns4/b/tcp/443/wss'])
  })

  it('bounds the direct peer setting', () => {
    expect(resolveNetworkConfig({ search: '?peers=3', hostname: 'x' }, '').maxDirectPeers).toBe(3)
    expect(resolveNetworkConfig({ search: '?peers=1000', hostname: 'x' }, '').maxDirectPeers).toBe(32)
    expect(resolveNetworkConfig({ search: '?peers=-1', hostname: 'x' }, '').maxDirectPeers).toBe(8)
  })

  it('allows local addresses only on local hosts', () => {
    expect(isLocalHost('127.0.0.1')).toBe(true)
    expect(isLocalHost('localhost')).toBe(true)
    expect(isLocalHost('192.168.1.4')).toBe(true)
    expect(isLocalHost('172.32.0.1')).toBe(false)
    expect(isLocalHost('shallot.example')).toBe(false)
  })
})
