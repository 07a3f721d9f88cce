/**
 * Ping over one given connection (libp2p's `/ipfs/ping/1.0.0`: 32 random bytes
 * echoed back), timed with `performance.now()`. libp2p's own ping service picks
 * the connection itself and rounds to whole milliseconds; we need to know the
 * round trip crossed *this* direct WebRTC connection, at sub-ms resolution.
 */
import { byteStream } from '@libp2p/utils'
import type { Connection } from '@libp2p/interface'
import { PING_TIMEOUT_MS } from './constants.ts'

export const PING_PROTOCOL = '/ipfs/ping/1.0.0'
const PING_LENGTH = 32

export class PingMismatchError extends Error {
  readonly kind = 'ping-mismatch' as const
  constructor () {
    super('ping answered with different bytes')
    this.name = 'PingMismatchError'
  }
}

export async function pingConnection (connection: Connection, timeoutMs = PING_TIMEOUT_MS): Promise<number> {
  const signal = AbortSignal.timeout(timeoutMs)
  const stream = await connection.newStream(PING_PROTOCOL, { signal })
  try {
    const bytes = byteStream(stream)
    const data = crypto.getRandomValues(new Uint8Array(PING_LENGTH))
    const start = performance.now()
    await bytes.write(data, { signal })
    const echo = await bytes.read({ bytes: PING_LENGTH, signal })
    const rtt = performance.now() - start
    const got = echo.subarray()
    if (got.length !== PING_LENGTH || got.some((b, i) => b !== data[i])) throw new PingMismatchError()
    await stream.close({ signal }).catch(() => { stream.abort(new Error('close failed')) })
    return rtt
  } catch (err) {
    stream.abort(err as Error)
    throw err
  }
}
