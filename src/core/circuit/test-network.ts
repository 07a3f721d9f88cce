/**
 * Test support: a set of onion routers on a seeded MemoryNetwork (no real
 * time, no real network). Shared by the router tests and the simulation.
 */
import { generateOnionKey, nodeIdFromIdentityKey } from '../crypto/index.ts'
import { seededRandom } from '../random.ts'
import { MemoryNetwork } from '../sim/memory-network.ts'
import { OnionRouter, type ClientCircuit, type RelayInfo, type RouterOptions } from './router.ts'

export interface TestPeer {
  readonly id: string
  readonly info: RelayInfo
  readonly router: OnionRouter
}

export class TestNetwork {
  readonly net: MemoryNetwork
  readonly peers = new Map<string, TestPeer>()
  /** What a real peer id carries inside it: its key (here its node id), known even after the peer leaves. */
  private readonly nodeIds = new Map<string, Uint8Array>()
  private readonly random

  constructor (readonly seed: number, opts: { minLatencyMs?: number, maxLatencyMs?: number } = {}) {
    this.net = new MemoryNetwork({ seed, ...opts })
    this.random = seededRandom(`test-network-${seed}`)
  }

  addPeer (id: string, limits?: RouterOptions['limits'], dh?: RouterOptions['dh']): TestPeer {
    const identity = this.random(32)
    const { onionKey, onionSecret } = generateOnionKey(this.random)
    const nodeId = nodeIdFromIdentityKey(identity)
    this.nodeIds.set(id, nodeId)
    let router: OnionRouter | null = null
    const links = this.net.addNode(id, {
      handleCell: (from, cell) => { router!.handleCell(from, cell) },
      handleLinkClosed: (peer) => { router!.handleLinkClosed(peer) }
    })
    router = new OnionRouter({
      peerId: id,
      onionKeys: [{ nodeId, onionKey, onionSecret }],
      links,
      nodeIdOfPeer: (peerId) => this.nodeIds.get(peerId) ?? null,
      random: this.random,
      now: this.net.clock,
      setTimer: (ms, fn) => {
        let cancelled = false
        this.net.schedule(ms, () => { if (!cancelled && this.net.hasNode(id)) fn() })
        return () => { cancelled = true }
      },
      limits,
      dh
    })
    const peer = { id, info: { peerId: id, nodeId, onionKey }, router }
    this.peers.set(id, peer)
    return peer
  }

  removePeer (id: string): void {
    this.peers.get(id)?.router.shutdown()
    this.peers.delete(id)
    this.net.removeNode(id)
  }

  /** Await `promise` while running the virtual network; throws if it does not settle in `limitMs` virtual ms. */
  async settle<T> (promise: Promise<T>, limitMs = 120_000): Promise<T> {
    let settled = false
    const tracked = promise.finally(() => { settled = true })
    tracked.catch(() => {})
    await this.net.runUntil(() => settled, limitMs)
    if (!settled) throw new Error(`did not settle within ${limitMs} virtual ms (a hang)`)
    return await tracked
  }
}

/** Whether `needle` occurs anywhere in `haystack` (a plaintext marker in a recorded cell). */
export function contains (haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer
    return true
  }
  return false
}

/** A network of peers p0 … p(n-1), with `limits` per peer id. */
export function networkOf (seed: number, n: number, limits?: Record<string, RouterOptions['limits']>): TestNetwork {
  const t = new TestNetwork(seed)
  for (let i = 0; i < n; i++) t.addPeer(`p${i}`, limits?.[`p${i}`])
  return t
}

/** p0 builds a circuit through p1, p2, p3. */
export async function threeHops (t: TestNetwork): Promise<{ circ: ClientCircuit, a: TestPeer, h1: TestPeer, h2: TestPeer, h3: TestPeer }> {
  const [a, h1, h2, h3] = ['p0', 'p1', 'p2', 'p3'].map(id => t.peers.get(id)!) as [TestPeer, TestPeer, TestPeer, TestPeer]
  const circ = await t.settle(a.router.buildCircuit([h1.info, h2.info, h3.info]))
  return { circ, a, h1, h2, h3 }
}

/** Run the virtual network for `ms` virtual milliseconds, letting promise continuations run. */
export async function runFor (t: TestNetwork, ms: number): Promise<void> {
  const end = t.net.time + ms
  await t.net.runUntil(() => t.net.time >= end, ms + 1)
}
