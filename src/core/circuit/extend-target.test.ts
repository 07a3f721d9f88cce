/**
 * Issue #13 item 10: a relay extends only to the relay an EXTEND's onionskin
 * is for. Before, it dialled whatever peer id the link specifier named, with
 * any handshake: a client could make a relay open connections to peers of its
 * choosing (who is online, reachable from where) without holding their keys.
 */
import { describe, expect, it } from 'vitest'
import { encodeExtend, HandshakeType, RelayCommand, type RelayCell } from '../cell/index.ts'
import { ntorClientCreate } from '../crypto/index.ts'
import { seededRandom } from '../random.ts'
import type { ClientCircuit } from './router.ts'
import { networkOf, runFor } from './test-network.ts'

const sendRelay = (circ: ClientCircuit, hop: number, cell: RelayCell): void => {
  (circ as unknown as { router: { sendRelay(c: ClientCircuit, hop: number, cell: RelayCell): void } }).router.sendRelay(circ, hop, cell)
}

describe('EXTEND reaches only the relay its onionskin is for', () => {
  const random = seededRandom('extend-target')

  it('probing through a relay: an EXTEND naming one peer with a handshake for another makes no connection to it, and ends the circuit', async () => {
    for (const nodeIdOf of ['named', 'onionskin'] as const) {
      const t = networkOf(1001, 4)
      const [a, r, probed, other] = ['p0', 'p1', 'p2', 'p3'].map(id => t.peers.get(id)!)
      const circ = await t.settle(a!.router.buildCircuit([r!.info]))
      const closed = new Promise<Error>(resolve => circ.onClose(resolve))
      t.net.recordWire = true
      // The client does not hold p2's keys (or pretends not to): the onionskin is for p3.
      const { onionskin } = ntorClientCreate(other!.info, random)
      const nodeId = nodeIdOf === 'named' ? probed!.info.nodeId : other!.info.nodeId
      sendRelay(circ, 0, { command: RelayCommand.EXTEND, streamId: 0, data: encodeExtend({ linkSpec: new TextEncoder().encode(probed!.id), nodeId, htype: HandshakeType.NTOR, hdata: onionskin }) })
      await t.settle(closed)
      await runFor(t, 1_000)
      expect(t.net.wire.filter(w => w.from === r!.id && w.to === probed!.id)).toEqual([])
      expect(probed!.router.stats().relayCircuits).toBe(0)
      expect(r!.router.stats().relayCircuits).toBe(0)
    }
  })

  it('an honest EXTEND (link specifier, NODEID and onionskin for the same relay) still extends', async () => {
    const t = networkOf(1002, 3)
    const [a, r, next] = ['p0', 'p1', 'p2'].map(id => t.peers.get(id)!)
    const circ = await t.settle(a!.router.buildCircuit([r!.info, next!.info]))
    expect(circ.state).toBe('open')
    expect(next!.router.stats().relayCircuits).toBe(1)
  })
})
