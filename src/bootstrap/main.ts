/**
 * `npm run relay`: start one bootstrap relay.
 *
 *   --host 127.0.0.1        interface to listen on
 *   --port 9090             WebSocket port
 *   --http-port 9091        HTTP info port (multiaddrs as JSON); "off" disables
 *   --key-file FILE         keep the relay's key here so its address survives restarts
 *   --announce MA[,MA...]   public addresses (e.g. /dns4/relay.example.org/tcp/443/wss)
 *   --log-level info        debug | info | warn | error (debug may name peers)
 *
 * Prints one line `SHALLOT_RELAY_READY <json>` with its multiaddrs when ready,
 * so scripts can wait for it. Stops cleanly on SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util'
import { createLogger, type LogLevel } from './log.js'
import { loadOrCreateKey } from './key-file.js'
import { startBootstrapRelay } from './relay.js'

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: process.env.RELAY_HOST ?? '127.0.0.1' },
    port: { type: 'string', default: process.env.RELAY_PORT ?? '9090' },
    'http-port': { type: 'string' },
    'key-file': { type: 'string', default: process.env.RELAY_KEY_FILE },
    announce: { type: 'string' },
    'log-level': { type: 'string', default: process.env.RELAY_LOG_LEVEL ?? 'info' }
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

const { key, created } = await loadOrCreateKey(values['key-file'])
if (values['key-file'] != null) log.info(created ? 'created a new relay key' : 'loaded the relay key')

const relay = await startBootstrapRelay({
  host: values.host!,
  port,
  httpPort,
  announce: values.announce?.split(',').filter(Boolean),
  privateKey: key,
  log
})
log.info(`bootstrap relay listening (${relay.multiaddrs.length} address(es))${relay.httpUrl != null ? ', info endpoint up' : ''}`)
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
