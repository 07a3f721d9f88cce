// `npm start`: a local bootstrap relay plus the app's dev server, and the URL to open.
//   RELAY_PORT (9090), APP_PORT (5173) override the ports.
import { mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { createServer } from 'vite'
import { startRelay } from './lib/relay-process.mjs'

const root = fileURLToPath(new URL('../', import.meta.url))
mkdirSync(new URL('../.shallot/', import.meta.url), { recursive: true })
const relay = await startRelay({
  port: Number(process.env.RELAY_PORT ?? 9090),
  keyFile: fileURLToPath(new URL('../.shallot/relay.key', import.meta.url)),
  onLog: (line) => { process.stdout.write(`[relay] ${line}`) }
})
process.env.VITE_BOOTSTRAP = relay.multiaddrs.join(',')
const server = await createServer({ root, server: { host: '127.0.0.1', port: Number(process.env.APP_PORT ?? 5173), strictPort: false } })
await server.listen()
const url = server.resolvedUrls?.local[0] ?? 'http://127.0.0.1:5173/'
console.log('\n  Shallot is running.')
console.log(`  Open ${url} in a few browser tabs (or windows) to watch them become peers.`)
console.log(`  Bootstrap relay: ${relay.multiaddrs.join(', ')}`)
console.log('  Ctrl+C stops both.\n')

const stop = async () => {
  await server.close()
  await relay.stop()
  process.exit(0)
}
process.on('SIGINT', () => { void stop() })
process.on('SIGTERM', () => { void stop() })
