/**
 * Which hop a failed build is put down to, in the cases the app's guard
 * accounting depends on (guard-spec §4.8): no channel to the first hop is
 * hop 0's failure; an onionskin that cannot be made (an unusable onion key,
 * e.g. one a client named for its rendezvous point) is that hop's, not the
 * first hop's; a build refused before any hop is involved reports no hop.
 */
import { describe, expect, it } from 'vitest'
import { TestNetwork } from './test-network.ts'
import { CircuitLimitError } from './errors.ts'

function network (seed: number, n: number) {
  const t = new TestNetwork(seed)
  return { t, p: Array.from({ length: n }, (_, i) => t.addPeer(`p${i}`)) }
}

describe('the hop a failed build is put down to', () => {
  it('a first hop that cannot be reached is hop 0', async () => {
    const { t, p: [a, h1, h2, h3] } = network(61, 4)
    t.removePeer('p1')
    const failed: number[] = []
    await expect(t.settle(a!.router.buildCircuit([h1!.info, h2!.info, h3!.info], q => { if (q.state === 'failed') failed.push(q.hop) }))).rejects.toBeDefined()
    expect(failed).toEqual([0])
  })

  for (const telescope of [false, true]) {
    it(`a last hop named with an unusable onion key is the last hop, not the guard (${telescope ? 'telescoped' : 'pipelined'})`, async () => {
      const { t, p: [a, h1, h2, h3] } = network(62, 4)
      const failed: number[] = []
      const rp = { ...h3!.info, onionKey: new Uint8Array(32) } // all zeros: X25519 refuses it
      await expect(t.settle(a!.router.buildCircuit([h1!.info, h2!.info, rp], q => { if (q.state === 'failed') failed.push(q.hop) }, { telescope }))).rejects.toBeDefined()
      expect(failed).toEqual([2])
    })
  }

  it('a build refused by our own client-circuit limit reports no hop', async () => {
    const t = new TestNetwork(63)
    const a = t.addPeer('p0', { maxClientCircuits: 0 })
    const hops = [1, 2, 3].map(i => t.addPeer(`p${i}`).info)
    const failed: number[] = []
    await expect(t.settle(a.router.buildCircuit(hops, q => { if (q.state === 'failed') failed.push(q.hop) }))).rejects.toBeInstanceOf(CircuitLimitError)
    expect(failed).toEqual([])
  })
})
