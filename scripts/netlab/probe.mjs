/**
 * Tiny network probes, run inside a lab namespace (`ip netns exec NS node
 * probe.mjs …`) to tell when a service is ready and what the network does:
 *
 *   stun HOST PORT [udp|tcp|tls] [LOCAL_PORT]  STUN binding request (RFC 8489);
 *                                          prints the XOR-MAPPED-ADDRESS "ip:port"
 *   https URL IP                           GET URL from IP:443 with URL's host as SNI,
 *                                          any certificate; prints the status code
 *
 * Exit code 0 on an answer, 1 on none (after a bounded wait). Stdlib only, so
 * it runs wherever node does, without the project's dependencies.
 */
import { createSocket } from 'node:dgram'
import { connect } from 'node:net'
import { connect as connectTls } from 'node:tls'
import { request } from 'node:https'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'

const MAGIC_COOKIE = 0x2112a442
const BINDING_REQUEST = 0x0001
const BINDING_SUCCESS = 0x0101
const XOR_MAPPED_ADDRESS = 0x0020
const TIMEOUT_MS = 3_000

/** A 20-byte STUN header with no attributes: type, length 0, magic cookie, 96-bit transaction id. */
export function bindingRequest () {
  const msg = Buffer.alloc(20)
  msg.writeUInt16BE(BINDING_REQUEST, 0)
  msg.writeUInt16BE(0, 2)
  msg.writeUInt32BE(MAGIC_COOKIE, 4)
  randomBytes(12).copy(msg, 8)
  return msg
}

/**
 * The IPv4 XOR-MAPPED-ADDRESS of a binding success response, or null if the
 * message is not the answer to `request`.
 * @param {Buffer} msg @param {Buffer} request
 * @returns {string | null} "ip:port"
 */
export function mappedAddress (msg, request) {
  if (msg.length < 20 || msg.readUInt16BE(0) !== BINDING_SUCCESS || msg.readUInt32BE(4) !== MAGIC_COOKIE) return null
  if (!msg.subarray(8, 20).equals(request.subarray(8, 20))) return null
  const end = Math.min(msg.length, 20 + msg.readUInt16BE(2))
  for (let at = 20; at + 4 <= end;) {
    const type = msg.readUInt16BE(at)
    const len = msg.readUInt16BE(at + 2)
    if (type === XOR_MAPPED_ADDRESS && len >= 8 && msg[at + 5] === 0x01) {
      const port = msg.readUInt16BE(at + 6) ^ (MAGIC_COOKIE >>> 16)
      const ip = (msg.readUInt32BE(at + 8) ^ MAGIC_COOKIE) >>> 0
      return `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}:${port}`
    }
    at += 4 + len + ((4 - (len % 4)) % 4)
  }
  return null
}

/**
 * One STUN binding over UDP (resent every 500 ms), TCP or TLS (any
 * certificate), bounded by TIMEOUT_MS.
 * @param {string} host @param {number} port @param {'udp' | 'tcp' | 'tls'} transport @param {number} [localPort]
 * @returns {Promise<string>} the mapped address
 */
export function stunBinding (host, port, transport = 'udp', localPort = 0) {
  const req = bindingRequest()
  return new Promise((resolve, reject) => {
    /** @type {() => void} */
    let close = () => {}
    const timer = setTimeout(() => { close(); reject(new Error(`no STUN answer from ${host}:${port}/${transport} within ${TIMEOUT_MS} ms`)) }, TIMEOUT_MS)
    /** @param {string | null} addr */
    const done = (addr) => {
      if (addr == null) return
      clearTimeout(timer)
      close()
      resolve(addr)
    }
    if (transport === 'udp') {
      const sock = createSocket('udp4')
      const resend = setInterval(() => { sock.send(req, port, host) }, 500)
      close = () => { clearInterval(resend); sock.close() }
      sock.on('message', (msg) => { done(mappedAddress(msg, req)) })
      sock.on('error', (err) => { clearTimeout(timer); close(); reject(err) })
      sock.bind(localPort, () => { sock.send(req, port, host) })
    } else {
      const opts = { host, port, localPort: localPort || undefined }
      const sock = transport === 'tls' ? connectTls({ ...opts, rejectUnauthorized: false }) : connect(opts)
      let buf = Buffer.alloc(0)
      close = () => { sock.destroy() }
      sock.on(transport === 'tls' ? 'secureConnect' : 'connect', () => { sock.write(req) })
      sock.on('data', (d) => { buf = Buffer.concat([buf, d]); done(mappedAddress(buf, req)) })
      sock.on('error', (err) => { clearTimeout(timer); close(); reject(err) })
    }
  })
}

/**
 * GET a URL from a given IP with the URL's host name as SNI and Host header,
 * accepting any certificate (Caddy's internal CA in the lab).
 * @param {string} url @param {string} ip
 * @returns {Promise<number>} the status code
 */
export function httpsStatus (url, ip) {
  const u = new URL(url)
  return new Promise((resolve, reject) => {
    const req = request({ host: ip, port: Number(u.port || 443), path: u.pathname + u.search, servername: u.hostname, headers: { host: u.host }, rejectUnauthorized: false, timeout: TIMEOUT_MS }, (res) => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
    req.on('timeout', () => { req.destroy(new Error(`no answer from ${url} within ${TIMEOUT_MS} ms`)) })
    req.on('error', reject)
    req.end()
  })
}

async function cli () {
  const [kind, ...args] = process.argv.slice(2)
  if (kind === 'stun') {
    const [host = '', port = '3478', transport = 'udp', localPort = '0'] = args
    if (transport !== 'udp' && transport !== 'tcp' && transport !== 'tls') throw new Error('transport must be udp, tcp or tls')
    process.stdout.write(`${await stunBinding(host, Number(port), transport, Number(localPort))}\n`)
  } else if (kind === 'https') {
    const [url = '', ip = ''] = args
    // not console.log: with FORCE_COLOR set (test runners) it colours numbers
    process.stdout.write(`${await httpsStatus(url, ip)}\n`)
  } else {
    throw new Error('usage: probe.mjs stun HOST PORT [udp|tcp|tls] [LOCAL_PORT] | https URL IP')
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  cli().catch((err) => { console.error(err instanceof Error ? err.message : err); process.exit(1) })
}
