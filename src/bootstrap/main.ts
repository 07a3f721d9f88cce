/**
 * `npm run relay`: start one bootstrap relay.
 *
 *   --host 127.0.0.1        interface to listen on
 *   --port 9090             WebSocket port
 *   --http-port 9091        HTTP info port (multiaddrs as JSON); "off" disables
 *   --key-file FILE         keep the relay's key here so its address survives restarts
 *   --announce MA[,MA...]   public addresses (e.g. /dns4/relay.example.org/tcp/443/wss)
 *   --log-level info        debug | info | warn | error (debug may name peers)
 *   --ice-urls URL[,URL...] STUN/TURN beside this relay, handed to tabs
 *                           (stun:host:3478, turn:host:3478?transport=udp, turns:host:5349?transport=tcp)
 *   --turn-secret-file FILE coturn's static-auth-secret (use-auth-secret), one line
 *   --turn-ttl 3600         lifetime of handed-out TURN credentials, seconds
 *   --max-reservations 1024 tabs that may hold a reservation at once
 *   --max-connections 2048  connections accepted at once (beyond it the oldest idle are pruned)
 *   --relay-work-effort N   proof-of-work effort tabs' relay descriptors need (default 3000000,
 *                           about 2 s of a tab's CPU once an hour; raise it under a directory flood)
 *
 * Prints one line `SHALLOT_RELAY_READY <json>` with its multiaddrs when ready,
 * so scripts can wait for it. Stops cleanly on SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util'
import { createLogger, type LogLevel } from './log.js'
import { loadOrCreateKey } from './key-file.js'
import { startBootstrapRelay } from './relay.js'
import { readFile } from 'node:fs/promises'
import { TURN_CREDENTIAL_TTL_S, type IceConfig } from './turn-credentials.js'

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: process.env.RELAY_HOST ?? '127.0.0.1' },
    port: { type: 'string', default: process.env.RELAY_PORT ?? '9090' },
    'http-port': { type: 'string' },
    'key-file': { type: 'string', default: process.env.RELAY_KEY_FILE },
    announce: { type: 'string' },
    'log-level': { type: 'string', default: process.env.RELAY_LOG_LEVEL ?? 'info' },
    'ice-urls': { type: 'string', default: process.env.RELAY_ICE_URLS },
    'turn-secret-file': { type: 'string', default: process.env.RELAY_TURN_SECRET_FILE },
    'turn-ttl': { type: 'string', default: process.env.RELAY_TURN_TTL },
    'max-reservations': { type: 'string', default: process.env.RELAY_MAX_RESERVATIONS },
    'max-connections': { type: 'string', default: process.env.RELAY_MAX_CONNECTIONS },
    'relay-work-effort': { type: 'string', default: process.env.RELAY_WORK_EFFORT }
  }
})

const level = values['log-level'] as LogLevel
if (!['debug', 'info', 'warn', 'error'].includes(level)) {
  console.error(`unknown --log-level ${String(level)}`)
  process.exit(2)
}
const log = createLogger(level)
const port = Number(values.port)
const httpPortArg = values['http-port'] ?? String(port === 0 ? 0 : port + 1)
const httpPort = httpPortArg === 'off' ? null : Number(httpPortArg)

const fail = (message: string): never => {
  console.error(message)
  process.exit(2)
}

let ice: IceConfig | undefined
if (values['ice-urls'] != null && values['ice-urls'] !== '') {
  const secretFile = values['turn-secret-file']
  const secret = secretFile != null ? (await readFile(secretFile, 'utf8').catch((err: Error) => fail(`cannot read --turn-secret-file: ${err.message}`))).trim() : undefined
  ice = {
    urls: values['ice-urls'].split(',').map(u => u.trim()).filter(Boolean),
    secret,
    ttlSeconds: values['turn-ttl'] != null ? Number(values['turn-ttl']) : TURN_CREDENTIAL_TTL_S
  }
}
const maxReservations = values['max-reservations'] != null ? Number(values['max-reservations']) : undefined
if (maxReservations != null && !(Number.isInteger(maxReservations) && maxReservations > 0)) fail('--max-reservations must be a positive integer')
const maxConnections = values['max-connections'] != null ? Number(values['max-connections']) : undefined
if (maxConnections != null && !(Number.isInteger(maxConnections) && maxConnections > 0)) fail('--max-connections must be a positive integer')

const relayWorkEffort = values['relay-work-effort'] != null ? Number(values['relay-work-effort']) : undefined
if (relayWorkEffort != null && !(Number.isInteger(relayWorkEffort) && relayWorkEffort >= 1 && relayWorkEffort <= 0xffff_ffff)) fail('--relay-work-effort must be an integer in 1..4294967295')

const { key, created } = await loadOrCreateKey(values['key-file'])
if (values['key-file'] != null) log.info(created ? 'created a new relay key' : 'loaded the relay key')

const relay = await startBootstrapRelay({
  host: values.host!,
  port,
  httpPort,
  announce: values.announce?.split(',').filter(Boolean),
  privateKey: key,
  log,
  ice,
  maxReservations,
  maxConnections,
  relayWorkEffort
}).catch((err: Error) => fail(`relay failed to start: ${err.message}`))
log.info(`bootstrap relay listening (${relay.multiaddrs.length} address(es))${relay.httpUrl != null ? ', info endpoint up' : ''}${ice != null ? `, handing out ${ice.urls.length} ICE url(s)` : ', no ICE servers'}`)
// The one machine-readable line: the relay's *own* addresses (public anyway:
// every tab is configured with them), for the operator and for scripts. It
// never names a tab or a tab's address.
process.stdout.write(`SHALLOT_RELAY_READY ${JSON.stringify({ multiaddrs: relay.multiaddrs, httpUrl: relay.httpUrl })}\n`)

let stopping = false
const shutdown = (signal: string) => {
  if (stopping) return
  stopping = true
  log.info(`${signal}: stopping`)
  relay.stop().then(() => { log.info('stopped'); process.exit(0) }, (err: Error) => {
    log.error(`stop failed: ${err.message}`)
    process.exit(1)
  })
}
process.on('SIGINT', () => { shutdown('SIGINT') })
process.on('SIGTERM', () => { shutdown('SIGTERM') })
