import { describe, expect, it } from 'vitest'
import { LinkCommand, decodeCell } from '../cell/index.ts'
import { generateOnionKey, nobleDh, ntorOnionskinLen, type X25519Dh } from '../crypto/index.ts'
import { seededRandom } from '../random.ts'
import { TestNetwork } from './test-network.ts'

/** nobleDh, with every ephemeral public key it makes recorded in order. */
function recordingDh (): { dh: X25519Dh, made: Uint8Array[] } {
  const random = seededRandom('recording-dh')
  const made: Uint8Array[] = []
  return {
    made,
    dh: {
      ...nobleDh,
      async ephemeral () {
        const secret = random(32)
        const publicKey = await nobleDh.publicKey(secret)
        made.push(publicKey)
        return { secret, publicKey }
      }
    }
  }
}

/** The X of every CREATE p0 sent (its onionskin is ID | B | X, tor-spec §5.1.4, and opens the hdata with or without an onward header). */
function createdXs (t: TestNetwork): Uint8Array[] {
  const skin = ntorOnionskinLen()
  return t.net.wire.filter(w => w.from === 'p0').map(w => decodeCell(w.cell)).flatMap(c => (c.msg.command === LinkCommand.CREATE ? [c.msg.hdata.slice(skin - 32, skin)] : []))
}

describe('prepared first-hop onionskins', () => {
  it('a finished build prepares its first hop\'s next onionskin, and the next build through that hop sends it', async () => {
    const t = new TestNetwork(31)
    const { dh, made } = recordingDh()
    const a = t.addPeer('p0', undefined, dh)
    const [h1, h2, h3] = ['p1', 'p2', 'p3'].map(id => t.addPeer(id))
    t.net.recordWire = true
    const first = await t.settle(a.router.buildCircuit([h1!.info, h2!.info, h3!.info]))
    await t.settle(Promise.resolve())
    expect(made).toHaveLength(4) // three hops, then one made ahead for h1
    const second = await t.settle(a.router.buildCircuit([h1!.info, h3!.info, h2!.info]))
    const xs = createdXs(t)
    expect(xs).toHaveLength(2)
    expect(xs[0]).toEqual(made[0])
    expect(xs[1]).toEqual(made[3]) // the prepared one, not one made for this build
    expect(await t.settle(second.echo(new Uint8Array([1, 2, 3])))).toEqual(new Uint8Array([1, 2, 3]))
    first.destroy()
  })

  it('an onionskin prepared for a relay\'s old onion key is dropped, and the build uses the current key', async () => {
    const t = new TestNetwork(32)
    const { dh, made } = recordingDh()
    const a = t.addPeer('p0', undefined, dh)
    const [h1, h2, h3] = ['p1', 'p2', 'p3'].map(id => t.addPeer(id))
    const stale = { ...h1!.info, onionKey: generateOnionKey(seededRandom('old-key')).onionKey }
    a.router.prepareOnionskin(stale)
    await t.settle(Promise.resolve())
    t.net.recordWire = true
    const circ = await t.settle(a.router.buildCircuit([h1!.info, h2!.info, h3!.info]))
    expect(createdXs(t)[0]).toEqual(made[1]) // made for this build, not the stale one
    expect(await t.settle(circ.echo(new Uint8Array([9])))).toEqual(new Uint8Array([9]))
  })
})
