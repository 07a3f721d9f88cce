/**
 * Measurement protocols for the benchmark harness page (never registered by
 * the app): an echo stream for the raw one-link RTT baseline and a sink for
 * the raw one-link goodput baseline, both over one direct WebRTC connection.
 */
import { byteStream } from '@libp2p/utils'
import type { Connection, Stream } from '@libp2p/interface'
import type { TabNode } from './node.ts'

export const BENCH_ECHO_PROTOCOL = '/shallot/bench/echo/1.0.0'
export const BENCH_SINK_PROTOCOL = '/shallot/bench/sink/1.0.0'

export async function registerBenchProtocols (node: TabNode): Promise<void> {
  await node.handle(BENCH_ECHO_PROTOCOL, (stream: Stream) => {
    stream.addEventListener('message', (evt) => { stream.send(evt.data) })
    stream.addEventListener('remoteCloseWrite', () => { void stream.close() })
  })
  await node.handle(BENCH_SINK_PROTOCOL, async (stream: Stream) => {
    const bytes = byteStream(stream)
    const header = await bytes.read({ bytes: 4 })
    let remaining = new DataView(header.subarray().buffer, header.subarray().byteOffset, 4).getUint32(0)
    while (remaining > 0) {
      const chunk = await bytes.read()
      if (chunk == null) break
      remaining -= chunk.byteLength
    }
    await bytes.write(Uint8Array.of(1))
    await stream.close()
  })
}

/** Round trips of `size`-byte messages over one stream on `connection`, ms each. */
export async function echoRtts (connection: Connection, count: number, size: number): Promise<number[]> {
  const stream = await connection.newStream(BENCH_ECHO_PROTOCOL)
  const bytes = byteStream(stream)
  const msg = crypto.getRandomValues(new Uint8Array(size))
  const rtts: number[] = []
  for (let i = 0; i < count; i++) {
    const t = performance.now()
    await bytes.write(msg)
    await bytes.read({ bytes: size })
    rtts.push(performance.now() - t)
  }
  await stream.close()
  return rtts
}

/** Send `total` bytes in `chunk`-byte writes and wait for the receiver's ack; MB/s (10^6 bytes). */
export async function sinkGoodput (connection: Connection, total: number, chunk = 16 * 1024): Promise<number> {
  const stream = await connection.newStream(BENCH_SINK_PROTOCOL)
  const bytes = byteStream(stream)
  const header = new Uint8Array(4)
  new DataView(header.buffer).setUint32(0, total)
  const data = crypto.getRandomValues(new Uint8Array(chunk))
  const t = performance.now()
  await bytes.write(header)
  for (let sent = 0; sent < total; sent += chunk) await bytes.write(sent + chunk <= total ? data : data.subarray(0, total - sent))
  await bytes.read({ bytes: 1 })
  const seconds = (performance.now() - t) / 1000
  await stream.close()
  return total / 1e6 / seconds
}
