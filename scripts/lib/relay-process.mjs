// Start and stop a bootstrap relay as a child process (used by `npm start`,
// the e2e tests and the benchmarks). Resolves once the relay printed its
// SHALLOT_RELAY_READY line.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../../', import.meta.url))

export function relayArgs (args) {
  return ['--experimental-websocket', '--import', './src/bootstrap/polyfills.mjs', '--import', 'tsx', 'src/bootstrap/main.ts', ...args]
}

// Every caller here runs many tabs on one machine (e2e: 8 tabs on 2 cores;
// bench, netlab, `npm start`), so their relays announce a small relay
// descriptor proof-of-work effort: about a millisecond per tab instead of the
// seconds a deployment's default asks (src/core/directory/limits.ts).
export const LOCAL_RELAY_WORK_EFFORT = 1024

export async function startRelay ({ port = 0, httpPort, keyFile, host = '127.0.0.1', logLevel = 'info', onLog, iceUrls, turnSecretFile, turnTtl, maxReservations, maxConnections, announce, relayWorkEffort = LOCAL_RELAY_WORK_EFFORT, spawnPrefix = [] } = {}) {
  const args = ['--host', host, '--port', String(port), '--log-level', logLevel, '--relay-work-effort', String(relayWorkEffort)]
  if (httpPort != null) args.push('--http-port', String(httpPort))
  if (keyFile != null) args.push('--key-file', keyFile)
  if (iceUrls != null) args.push('--ice-urls', iceUrls.join(','))
  if (turnSecretFile != null) args.push('--turn-secret-file', turnSecretFile)
  if (turnTtl != null) args.push('--turn-ttl', String(turnTtl))
  if (maxReservations != null) args.push('--max-reservations', String(maxReservations))
  if (maxConnections != null) args.push('--max-connections', String(maxConnections))
  if (announce != null) args.push('--announce', announce.join(','))
  // spawnPrefix runs the relay through another command, e.g. ['ip', 'netns', 'exec', 'ns'].
  const [cmd, ...pre] = [...spawnPrefix, process.execPath]
  const child = spawn(cmd, [...pre, ...relayArgs(args)], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
  let buffer = ''
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error('relay did not start within 30 s')) }, 30_000)
    child.stdout.on('data', (chunk) => {
      const text = chunk.toString()
      onLog?.(text)
      buffer += text
      const m = /SHALLOT_RELAY_READY (.*)/.exec(buffer)
      if (m != null) {
        clearTimeout(timer)
        resolve(JSON.parse(m[1]))
      }
    })
    child.stderr.on('data', (chunk) => { onLog?.(chunk.toString()) })
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`relay exited with ${code}`)) })
  })
  const info = await ready
  return {
    ...info,
    child,
    async stop () {
      if (child.exitCode != null) return
      const exited = new Promise(resolve => child.once('exit', resolve))
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
      await exited
      clearTimeout(timer)
    }
  }
}
