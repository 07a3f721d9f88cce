/**
 * The tagging attack at the router level (prop 359 §1, the attack CGO exists
 * to stop): the first and the last hop of a circuit collude. One XORs a
 * pattern into a relay cell's body on the wire, the other XORs it back out
 * before the cell reaches the hop it is for. Under tor1 (a plain XOR stream
 * per hop, a digest checked only at the end) the cell then arrives intact and
 * the pair has confirmed it carries the same circuit. Under CGO the honest
 * middle's UIV+ encryption turns the tagged cell into garbage that no XOR
 * undoes: the cell is recognized by nobody and the circuit is destroyed, with
 * the named error, instead of delivering.
 *
 * The tampering is done on the links the colluding hops own (what they send
 * or receive), by wrapping the receiving router's handleCell.
 */
import { describe, expect, it } from 'vitest'
import { CELL_HEADER_LEN, DestroyReason, LinkCommand } from '../cell/index.ts'
import { CIRC_ID_LEN, CELL_SIZE } from '../constants.ts'
import { DigestMismatchError } from '../errors.ts'
import { CircuitClosedError } from './router.ts'
import { networkOf, runFor, threeHops, type TestPeer } from './test-network.ts'

/** Where in the body the tag goes (inside the message, away from T) and what it is. */
const TAG_AT = CELL_HEADER_LEN + 100
const TAG = Uint8Array.from({ length: 16 }, (_, i) => 0xa5 ^ i)

/** XOR TAG into the next RELAY cell `to` receives from `from`; once. */
function tamperNextRelayCell (to: TestPeer, from: string): { readonly done: () => boolean } {
  let done = false
  const orig = to.router.handleCell.bind(to.router)
  to.router.handleCell = (peer, cell) => {
    if (!done && peer === from && cell.length === CELL_SIZE && cell[CIRC_ID_LEN] === LinkCommand.RELAY) {
      done = true
      for (let i = 0; i < TAG.length; i++) cell[TAG_AT + i] = (cell[TAG_AT + i] as number) ^ (TAG[i] as number)
    }
    orig(peer, cell)
  }
  return { done: () => done }
}

describe('tagging attack by a colluding first and last hop (prop 359)', () => {
  it('a tag XORed in by the first hop and out by the last hop destroys the circuit at the last hop instead of delivering', async () => {
    const t = networkOf(1301, 5)
    const { circ, h1, h3 } = await threeHops(t)
    const got: string[] = []
    const closed = new Promise<Error>(resolve => circ.onClose(resolve))
    const streamId = circ.openStream('echo', (d) => got.push(new TextDecoder().decode(d)), () => {})
    await runFor(t, 200)
    const errorsBefore = h3.router.stats().protocolErrors
    // h1 tags the next cell the client sends it; h3 removes the tag from the next cell h2 sends it: the same cell.
    const tag = tamperNextRelayCell(h1, 'p0')
    const untag = tamperNextRelayCell(h3, 'p2')
    void circ.write(streamId, new TextEncoder().encode('tagged cell')).catch(() => {})
    await runFor(t, 5_000)
    expect(tag.done() && untag.done()).toBe(true)
    expect(got).toEqual([]) // tor1 echoes 'tagged cell' here: the tag went through
    expect(circ.state).toBe('closed')
    const err = await closed
    expect(h3.router.stats().protocolErrors).toBe(errorsBefore + 1) // 'unrecognized relay cell at the last hop'
    expect(err).toBeInstanceOf(CircuitClosedError)
    expect((err as CircuitClosedError).reason).toBe(DestroyReason.PROTOCOL)
  })

  it('a tag XORed in by the last hop and out by the first hop makes the client destroy the circuit (DigestMismatchError) instead of delivering', async () => {
    const t = networkOf(1302, 5)
    const { circ, a, h1, h2, h3 } = await threeHops(t)
    const got: string[] = []
    const closed = new Promise<Error>(resolve => circ.onClose(resolve))
    const streamId = circ.openStream('echo', (d) => got.push(new TextDecoder().decode(d)), () => {})
    await runFor(t, 200)
    // h3 tags the echo it sends back (on the link to h2); h1 removes the tag from what it passes to the client.
    const tag = tamperNextRelayCell(h2, 'p3')
    const untag = tamperNextRelayCell(a, 'p1')
    void circ.write(streamId, new TextEncoder().encode('tagged echo')).catch(() => {})
    await runFor(t, 5_000)
    expect(tag.done() && untag.done()).toBe(true)
    expect(got).toEqual([]) // tor1 delivers 'tagged echo' here: the tag went through
    expect(circ.state).toBe('closed')
    const err = await closed
    expect(err).toBeInstanceOf(DigestMismatchError)
    await t.net.runUntil(() => [h1, h2, h3].every(h => h.router.stats().relayCircuits === 0), 10_000)
    expect([h1, h2, h3].map(h => h.router.stats().relayCircuits)).toEqual([0, 0, 0])
  })
})
