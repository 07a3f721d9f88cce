/**
 * Build the app for the lab: a production build whose built-in relay is the
 * lab relay's info endpoint through Caddy (tabs learn its multiaddrs there),
 * so any relay key works and the same build serves every lab run.
 */
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { RELAY_INFO_URL } from './services.mjs'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

/** @param {string} outDir */
export async function buildLabApp (outDir) {
  const vite = join(ROOT, 'node_modules/vite/bin/vite.js')
  const child = spawn(process.execPath, [vite, 'build', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'], {
    cwd: ROOT,
    env: { ...process.env, VITE_BOOTSTRAP: RELAY_INFO_URL },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let log = ''
  child.stdout.on('data', (/** @type {Buffer} */ d) => { log += d.toString() })
  child.stderr.on('data', (/** @type {Buffer} */ d) => { log += d.toString() })
  const code = await new Promise((resolve) => {
    const timer = setTimeout(() => { child.kill('SIGKILL') }, 120_000)
    child.once('close', (c) => { clearTimeout(timer); resolve(c) })
  })
  if (code !== 0) throw new Error(`vite build for the lab failed (${code}):\n${log.slice(-4000)}`)
}
