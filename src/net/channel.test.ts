import { describe, expect, it } from 'vitest'
import { streamPair } from '@libp2p/utils'
import { CELL_SIZE } from '../core/constants.ts'
import { Channel, CHANNEL_WRITE_BATCH_CELLS, circIdOf, FifoCellQueue, WEBRTC_MESSAGE_PAYLOAD_MAX } from './channel.ts'

function cell (circId: number, fill: number): Uint8Array {
  const c = new Uint8Array(CELL_SIZE).fill(fill)
  new DataView(c.buffer).setUint32(0, circId)
  return c
}

describe('Channel', () => {
  it('carries whole cells of many circuits over one stream, in order per circuit', async () => {
    const [a, b] = await streamPair()
    const received: Uint8Array[] = []
    const left = new Channel(a, 'b', new FifoCellQueue(), { onCell: () => {}, onClose: () => {} })
    new Channel(b, 'a', new FifoCellQueue(), { onCell: (c) => received.push(c), onClose: () => {} })
    for (let i = 0; i < 100; i++) left.send(cell(i % 3 + 1, i))
    await expect.poll(() => received.length).toBe(100)
    expect(received.every(c => c.length === CELL_SIZE)).toBe(true)
    expect(received.map(c => c[CELL_SIZE - 1])).toEqual(Array.from({ length: 100 }, (_, i) => i))
    expect(received.map(circIdOf).slice(0, 3)).toEqual([1, 2, 3])
  })

  it('reassembles cells split across stream messages and refuses wrong-sized cells', async () => {
    const [a, b] = await streamPair()
    const received: Uint8Array[] = []
    new Channel(b, 'a', new FifoCellQueue(), { onCell: (c) => received.push(c), onClose: () => {} })
    const two = new Uint8Array(CELL_SIZE * 2).fill(7)
    a.send(two.subarray(0, 100))
    a.send(two.subarray(100, CELL_SIZE + 5))
    a.send(two.subarray(CELL_SIZE + 5))
    await expect.poll(() => received.length).toBe(2)
    const left = new Channel(a, 'b', new FifoCellQueue(), { onCell: () => {}, onClose: () => {} })
    expect(() => { left.send(new Uint8Array(10)) }).toThrow(`${CELL_SIZE} bytes`)
  })

  it('writes one task\'s cells in batches that each fit one WebRTC message', async () => {
    expect(CHANNEL_WRITE_BATCH_CELLS).toBe(15)
    expect(CHANNEL_WRITE_BATCH_CELLS * CELL_SIZE).toBeLessThanOrEqual(WEBRTC_MESSAGE_PAYLOAD_MAX)
    const [a, b] = await streamPair()
    const sizes: number[] = []
    const send = a.send.bind(a)
    a.send = (data) => { sizes.push(data.byteLength); return send(data) }
    const received: Uint8Array[] = []
    const left = new Channel(a, 'b', new FifoCellQueue(), { onCell: () => {}, onClose: () => {} })
    new Channel(b, 'a', new FifoCellQueue(), { onCell: (c) => received.push(c), onClose: () => {} })
    for (let i = 0; i < 31; i++) left.send(cell(1, i))
    await expect.poll(() => received.length).toBe(31)
    expect(sizes).toEqual([15 * CELL_SIZE, 15 * CELL_SIZE, CELL_SIZE])
    expect(received.map(c => c[CELL_SIZE - 1])).toEqual(Array.from({ length: 31 }, (_, i) => i))
  })

  it('reports the close of the underlying stream once', async () => {
    const [a, b] = await streamPair()
    let closes = 0
    new Channel(b, 'a', new FifoCellQueue(), { onCell: () => {}, onClose: () => { closes++ } })
    a.abort(new Error('gone'))
    await expect.poll(() => closes).toBe(1)
  })
})
