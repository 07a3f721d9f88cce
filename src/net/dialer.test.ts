import { describe, expect, it } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import type { PeerId } from '@libp2p/interface'
import { Adjacency } from './adjacency.ts'
import { CIRCUIT_DIAL_JITTER_MS } from './constants.ts'
import { Dialer, endsDial } from './dialer.ts'
import type { TabNode } from './node.ts'

const id = async (): Promise<string> => peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
const RELAY = '/ip4/127.0.0.1/tcp/9090/ws/p2p/12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN'

class FakeNode {
  readonly dials: string[][] = []
  readonly conns: Array<{ remotePeer: PeerId, direct: boolean }> = []
  constructor (private readonly addrs: Map<string, string[]>, private readonly outcome: (addrs: string[]) => Error | 'direct' | 'relayed') {}
  getConnections (peer: PeerId): unknown[] { return this.conns.filter(c => c.remotePeer.equals(peer)) }
  readonly peerStore = {
    get: async (peer: PeerId) => ({ addresses: (this.addrs.get(peer.toString()) ?? []).map(a => ({ multiaddr: multiaddr(a) })) })
  }

  async dial (addrs: Multiaddr[]): Promise<unknown> {
    const list = addrs.map(a => a.toString())
    this.dials.push(list)
    const r = this.outcome(list)
    if (r instanceof Error) throw r
    return { remotePeer: list[0]!.split('/p2p/').at(-1), direct: r === 'direct' }
  }
}

function named (name: string): Error {
  const e = new Error(name)
  e.name = name
  return e
}

async function setup (outcome: (addrs: string[]) => Error | 'direct' | 'relayed') {
  const [target, b, c] = [await id(), await id(), await id()]
  const node = new FakeNode(new Map([[target, [`${RELAY}/p2p-circuit/webrtc/p2p/${target}`]]]), outcome)
  const adjacency = new Adjacency()
  const sleeps: number[] = []
  const dialer = new Dialer({
    node: node as unknown as TabNode,
    adjacency,
    isDirect: (conn) => (conn as unknown as { direct: boolean }).direct,
    random: () => 0.5,
    sleep: async (ms) => { sleeps.push(ms) }
  })
  // b and c are our neighbours (a direct connection each).
  for (const n of [b, c]) node.conns.push({ remotePeer: peerIdFromString(n), direct: true })
  return { target, b, c, node, adjacency, dialer, sleeps }
}

describe('dialer: signalling through neighbours first', () => {
  it('signals through a neighbour that reported the target; the bootstrap relay is not asked', async () => {
    const s = await setup(() => 'direct')
    s.adjacency.record(s.b, [s.target])
    await s.dialer.dial(s.target, 'mesh')
    expect(s.node.dials).toEqual([[`/p2p/${s.b}/p2p-circuit/webrtc/p2p/${s.target}`]])
    expect(s.dialer.dialRecords().map(r => r.route)).toEqual(['neighbour'])
    expect(s.sleeps).toEqual([]) // mesh dials are not delayed
  })

  it('a neighbour that cannot signal (no reservation there) is skipped for the bootstrap relay, and forgotten as a route', async () => {
    const s = await setup((addrs) => addrs[0]!.startsWith('/p2p/') ? named('InvalidMessageError') : 'direct')
    s.adjacency.record(s.b, [s.target])
    await s.dialer.dial(s.target, 'circuit')
    expect(s.node.dials.map(d => d[0]!.startsWith('/p2p/') ? 'neighbour' : 'bootstrap')).toEqual(['neighbour', 'bootstrap'])
    expect(s.dialer.dialRecords()).toMatchObject([{ route: 'bootstrap', purpose: 'circuit' }])
    expect(s.adjacency.routesTo(s.target, () => true)).toEqual([])
    // A circuit's dial waited a random time first.
    expect(s.sleeps).toEqual([CIRCUIT_DIAL_JITTER_MS / 2])
  })

  it('an ICE failure after signalling ends the dial: another route would meet the same NATs', async () => {
    const s = await setup(() => named('WebRTC/ConnectionClosed'))
    s.adjacency.record(s.b, [s.target])
    s.adjacency.record(s.c, [s.target])
    await expect(s.dialer.dial(s.target, 'mesh')).rejects.toThrow('WebRTC/ConnectionClosed')
    expect(s.node.dials).toHaveLength(1)
    expect(endsDial(named('TimeoutError'))).toBe(true)
    expect(endsDial(named('InvalidMessageError'))).toBe(false)
  })

  it('a reported route through a tab that is no longer a neighbour is not tried', async () => {
    const s = await setup(() => 'direct')
    s.adjacency.record(await id(), [s.target])
    await s.dialer.dial(s.target, 'mesh')
    expect(s.dialer.dialRecords().map(r => r.route)).toEqual(['bootstrap'])
  })

  it('a dial that yields only a relayed connection is refused with a named error; no address at all is NoRouteError', async () => {
    const s = await setup(() => 'relayed')
    await expect(s.dialer.dial(s.target, 'mesh')).rejects.toMatchObject({ name: 'RelayedOnlyError' })
    await expect(s.dialer.dial(await id(), 'mesh')).rejects.toMatchObject({ name: 'NoRouteError' })
    expect(s.dialer.dialRecords()).toEqual([])
  })
})
