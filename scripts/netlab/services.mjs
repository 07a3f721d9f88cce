/**
 * The server side of the lab, started inside the server namespace from the
 * operator's own files in deploy/: coturn (deploy/coturn/turnserver.conf),
 * Caddy (deploy/caddy/Caddyfile) and the bootstrap relay (the usual way, or
 * with the exact ExecStart of deploy/systemd/shallot-relay.service). Each
 * start resolves only once the service answers (bounded waits) and otherwise
 * rejects with a ServiceError carrying the process's last log lines. Every
 * process is tracked by the lab and stopped by lab.destroy().
 *
 * Names: the app is https://app.shallot.test/, the relay
 * wss://relay.shallot.test/ (info at /info), both on 203.0.113.10:443 through
 * Caddy with its internal CA; coturn on 203.0.113.10:3478 (udp, tcp) and 5349
 * (tls, with a throw-away self-signed certificate).
 */
import { execFileSync } from 'node:child_process'
import { createHmac, randomBytes } from 'node:crypto'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startRelay } from '../lib/relay-process.mjs'
import { SERVER_IP, tail } from './lab.mjs'
import { unitCommand } from './systemd-unit.mjs'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const PROBE = fileURLToPath(new URL('./probe.mjs', import.meta.url))

/** The operator's files the lab runs. */
export const DEPLOY = {
  coturnConf: join(ROOT, 'deploy/coturn/turnserver.conf'),
  caddyfile: join(ROOT, 'deploy/caddy/Caddyfile'),
  relayUnit: join(ROOT, 'deploy/systemd/shallot-relay.service'),
  relayEnvExample: join(ROOT, 'deploy/shallot-relay.env.example')
}

export const APP_DOMAIN = 'app.shallot.test'
export const RELAY_DOMAIN = 'relay.shallot.test'
export const TURN_REALM = 'shallot.test'
export const APP_URL = `https://${APP_DOMAIN}/`
export const RELAY_INFO_URL = `https://${RELAY_DOMAIN}/info`
/** What the relay announces: Caddy terminates TLS on 443 and proxies to it. */
export const RELAY_ANNOUNCE = `/dns4/${RELAY_DOMAIN}/tcp/443/wss`
/** The coturn URLs tabs are given (IP literals: ICE resolves names itself, without the browser's host rules). */
export const ICE_URLS = [`stun:${SERVER_IP}:3478`, `turn:${SERVER_IP}:3478?transport=udp`, `turn:${SERVER_IP}:3478?transport=tcp`]
/** The relay's ports on 127.0.0.1 in the server namespace (Caddy's upstreams). */
export const RELAY_PORT = 9090
export const RELAY_INFO_PORT = 9091

/**
 * Chromium flags for a browser in a lab home: the lab's names resolve to the
 * server (for fetch and WebSocket alike: both go through the host resolver),
 * and Caddy's internal CA is accepted. Pages keep a secure context.
 */
export const labChromiumArgs = [
  `--host-resolver-rules=MAP ${APP_DOMAIN} ${SERVER_IP}, MAP ${RELAY_DOMAIN} ${SERVER_IP}`,
  '--ignore-certificate-errors'
]

/** A service did not come up; the message carries its last log lines. */
export class ServiceError extends Error {
  /** @param {string} message */
  constructor (message) {
    super(message)
    this.name = 'ServiceError'
  }
}

/** @typedef {import('./lab.mjs').Lab} Lab */
/** @typedef {import('node:child_process').ChildProcess} ChildProcess */

/**
 * Keep the last 64 KiB a child printed, for error messages.
 * @param {ChildProcess} child
 */
function captureLogs (child) {
  let text = ''
  /** @param {Buffer | string} chunk */
  const add = (chunk) => { text = (text + chunk.toString()).slice(-65_536) }
  child.stdout?.on('data', add)
  child.stderr?.on('data', add)
  return () => text
}

/**
 * Poll check() until it returns true, at most timeoutMs and maxTries; fail
 * early if the child exits. check() may return a string: why it is not ready
 * yet (shown if it never is).
 * @param {string} what @param {() => Promise<true | string>} check
 * @param {{ child: ChildProcess, logs: () => string, timeoutMs?: number, intervalMs?: number }} opts
 */
async function waitReady (what, check, { child, logs, timeoutMs = 30_000, intervalMs = 250 }) {
  const deadline = Date.now() + timeoutMs
  const maxTries = Math.ceil(timeoutMs / intervalMs) + 1
  let last = ''
  for (let i = 0; i < maxTries && Date.now() < deadline; i++) {
    if (child.exitCode != null || child.signalCode != null) {
      throw new ServiceError(`${what} exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${tail(logs())}`)
    }
    const result = await check()
    if (result === true) return
    last = result
    await new Promise(resolve => setTimeout(resolve, intervalMs))
  }
  throw new ServiceError(`${what} not ready within ${timeoutMs / 1000} s${last !== '' ? ` (last check: ${last})` : ''}:\n${tail(logs())}`)
}

/**
 * Stop a child: SIGTERM, then SIGKILL after 5 s.
 * @param {ChildProcess} child
 */
async function stopChild (child) {
  if (child.exitCode != null || child.signalCode != null) return
  const exited = new Promise(resolve => child.once('exit', resolve))
  child.kill('SIGTERM')
  const timer = setTimeout(() => { child.kill('SIGKILL') }, 5_000)
  await exited
  clearTimeout(timer)
}

/**
 * Run probe.mjs inside a namespace: its answer (stdout), or why there is none.
 * @param {Lab} lab @param {string} ns @param {string[]} args
 * @returns {Promise<{ answer: string | null, error: string }>}
 */
export async function probe (lab, ns, args) {
  const res = await lab.run(ns, [process.execPath, PROBE, ...args], { timeoutMs: 10_000 })
  return res.code === 0 ? { answer: res.stdout.trim(), error: '' } : { answer: null, error: res.stderr.trim() || `probe exited ${res.code}` }
}

/**
 * A readiness check: probe until the answer satisfies ok.
 * @param {Lab} lab @param {string[]} args @param {(answer: string) => boolean} ok
 * @returns {() => Promise<true | string>}
 */
const probeCheck = (lab, args, ok) => async () => {
  const { answer, error } = await probe(lab, lab.server.ns, args)
  return answer != null && ok(answer) ? true : (answer ?? error)
}

/**
 * coturn's REST-API credentials (use-auth-secret), as the relay hands them out.
 * @param {string} secret @param {number} ttlSeconds @param {number} [nowMs]
 */
export function turnCredentials (secret, ttlSeconds, nowMs = Date.now()) {
  const username = `${Math.floor(nowMs / 1000) + ttlSeconds}:netlab${randomBytes(4).toString('hex')}`
  return { username, credential: createHmac('sha1', secret).update(username).digest('base64') }
}

/**
 * Start coturn with deploy/coturn/turnserver.conf as it is, plus what differs
 * in the lab on the command line: addresses, realm, the secret (deploy/install.sh
 * writes it into the installed copy instead), a throw-away certificate, the pid
 * file. The deploy config logs nothing (privacy); set log (or the environment
 * variable SHALLOT_NETLAB_TURN_LOG=1) to run a copy that logs to a temp file,
 * for debugging.
 * @param {Lab} lab
 * @param {{ secret: string, realm?: string, log?: boolean }} opts
 */
export async function startCoturn (lab, { secret, realm = TURN_REALM, log = process.env.SHALLOT_NETLAB_TURN_LOG === '1' }) {
  const dir = mkdtempSync(join(lab.tmpDir, 'coturn-'))
  const cert = join(dir, 'cert.pem')
  const key = join(dir, 'key.pem')
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=turn.shallot.test', '-keyout', key, '-out', cert], { stdio: 'ignore', timeout: 15_000 })
  let conf = DEPLOY.coturnConf
  if (log) {
    // The deploy config's log settings win over the command line, so swap them in a copy.
    conf = join(dir, 'turnserver-logging.conf')
    const text = readFileSync(DEPLOY.coturnConf, 'utf8').replace(/^(log-file=.*|no-stdout-log|simple-log)$/gm, '')
    writeFileSync(conf, `${text}\nlog-file=${join(dir, 'turnserver.log')}\nsimple-log\n`)
  }
  const ip = lab.server.ip
  const child = lab.spawn(lab.server.ns, ['turnserver', '-c', conf,
    `--listening-ip=${ip}`, `--relay-ip=${ip}`, `--realm=${realm}`, `--static-auth-secret=${secret}`,
    `--cert=${cert}`, `--pkey=${key}`, `--pidfile=${join(dir, 'turnserver.pid')}`])
  const output = captureLogs(child)
  const logs = () => {
    const file = join(dir, 'turnserver.log')
    return existsSync(file) ? readFileSync(file, 'utf8') : `${output()}\n(coturn logs nothing with the deploy config; set SHALLOT_NETLAB_TURN_LOG=1 to see its log)`
  }
  lab.onDestroy(() => stopChild(child))
  for (const [port, transport] of [['3478', 'udp'], ['3478', 'tcp'], ['5349', 'tls']]) {
    await waitReady(`coturn (STUN over ${transport} on ${port})`, probeCheck(lab, ['stun', ip, port, transport], () => true),
      { child, logs, timeoutMs: 15_000 })
  }
  return { urls: ICE_URLS, stop: () => stopChild(child) }
}

/**
 * The environment that fills deploy/caddy/Caddyfile's {$VAR} placeholders in
 * the lab, with HOME and XDG dirs under dir so Caddy's internal CA and its
 * certificates stay out of the real system.
 * @param {{ dir: string, appRoot: string, relayPort?: number, relayInfoPort?: number }} opts
 */
export function caddyEnv ({ dir, appRoot, relayPort = RELAY_PORT, relayInfoPort = RELAY_INFO_PORT }) {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: dir,
    XDG_DATA_HOME: join(dir, 'data'),
    XDG_CONFIG_HOME: join(dir, 'config'),
    SHALLOT_APP_DOMAIN: APP_DOMAIN,
    SHALLOT_RELAY_DOMAIN: RELAY_DOMAIN,
    SHALLOT_TLS: 'internal',
    SHALLOT_APP_ROOT: appRoot,
    SHALLOT_RELAY_PORT: String(relayPort),
    SHALLOT_RELAY_INFO_PORT: String(relayInfoPort),
    SHALLOT_CONNECT_SRC_EXTRA: ''
  }
}

/**
 * Start Caddy with deploy/caddy/Caddyfile and the lab's environment; ready
 * when https://app.shallot.test/ answers 200.
 * @param {Lab} lab
 * @param {{ appRoot: string, relayPort?: number, relayInfoPort?: number }} opts
 */
export async function startCaddy (lab, { appRoot, relayPort, relayInfoPort }) {
  if (!existsSync(join(appRoot, 'index.html'))) throw new ServiceError(`no built app in ${appRoot} (index.html missing)`)
  const dir = mkdtempSync(join(lab.tmpDir, 'caddy-'))
  const env = caddyEnv({ dir, appRoot, relayPort, relayInfoPort })
  const child = lab.spawn(lab.server.ns, ['caddy', 'run', '--config', DEPLOY.caddyfile, '--adapter', 'caddyfile'], { env, cwd: dir })
  const logs = captureLogs(child)
  lab.onDestroy(() => stopChild(child))
  await waitReady('Caddy (https://app.shallot.test/)', probeCheck(lab, ['https', APP_URL, lab.server.ip], answer => answer === '200'),
    { child, logs, timeoutMs: 30_000, intervalMs: 300 })
  return { appUrl: APP_URL, relayInfoUrl: RELAY_INFO_URL, stop: () => stopChild(child) }
}

/**
 * @typedef {object} RelayInLab
 * @property {string[]} multiaddrs
 * @property {string | null} httpUrl
 * @property {() => Promise<void>} stop
 */

/**
 * Start the bootstrap relay in the server namespace through
 * scripts/lib/relay-process.mjs, announcing wss://relay.shallot.test (Caddy).
 * @param {Lab} lab
 * @param {{ iceUrls?: string[], turnSecretFile?: string, turnTtl?: number, port?: number, httpPort?: number }} [opts]
 * @returns {Promise<RelayInLab>}
 */
export async function startRelayInLab (lab, { iceUrls = ICE_URLS, turnSecretFile, turnTtl, port = RELAY_PORT, httpPort = RELAY_INFO_PORT } = {}) {
  let logs = ''
  try {
    const relay = await startRelay({
      host: '127.0.0.1',
      port,
      httpPort,
      keyFile: join(lab.tmpDir, `relay-${port}.key`),
      announce: [RELAY_ANNOUNCE],
      iceUrls,
      turnSecretFile,
      turnTtl,
      spawnPrefix: ['ip', 'netns', 'exec', lab.server.ns],
      onLog: (/** @type {string} */ text) => { logs = (logs + text).slice(-65_536) }
    })
    lab.adopt(relay.child)
    lab.onDestroy(() => relay.stop())
    return relay
  } catch (err) {
    throw new ServiceError(`relay did not start: ${err instanceof Error ? err.message : String(err)}\n${tail(logs)}`)
  }
}

/**
 * Start the relay exactly as deploy/systemd/shallot-relay.service would:
 * its ExecStart, WorkingDirectory, Environment= and EnvironmentFile=
 * (deploy/shallot-relay.env.example, with the lab's names and ports), its
 * LoadCredential= (copied into a credentials dir, %d) and StateDirectory=
 * (%S). Only the paths move into the lab; the sandbox is systemd's business.
 * @param {Lab} lab
 * @param {{ turnSecretFile: string, port: number, httpPort: number, turnTtl?: number }} opts
 */
export async function startRelayFromUnit (lab, { turnSecretFile, port, httpPort, turnTtl = 3600 }) {
  const stateRoot = mkdtempSync(join(lab.tmpDir, 'state-'))
  const credentials = mkdtempSync(join(lab.tmpDir, 'credentials-'))
  mkdirSync(join(stateRoot, 'shallot-relay'), { mode: 0o700 })
  const cmd = unitCommand(DEPLOY.relayUnit, {
    specifiers: { S: stateRoot, d: credentials },
    files: { '/etc/shallot/shallot-relay.env': DEPLOY.relayEnvExample, '/opt/shallot': ROOT, '/etc/shallot/turn-secret': turnSecretFile },
    envOverrides: {
      SHALLOT_RELAY_PORT: String(port),
      SHALLOT_RELAY_INFO_PORT: String(httpPort),
      SHALLOT_RELAY_ANNOUNCE: RELAY_ANNOUNCE,
      SHALLOT_ICE_URLS: ICE_URLS.join(','),
      SHALLOT_TURN_TTL: String(turnTtl)
    }
  })
  for (const { id, path } of cmd.credentials) copyFileSync(path, join(credentials, id))
  const argv = [...cmd.argv]
  if (!existsSync(argv[0] ?? '')) argv[0] = process.execPath
  const child = lab.spawn(lab.server.ns, argv, {
    cwd: cmd.cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', STATE_DIRECTORY: join(stateRoot, 'shallot-relay'), CREDENTIALS_DIRECTORY: credentials, ...cmd.env }
  })
  const logs = captureLogs(child)
  lab.onDestroy(() => stopChild(child))
  const readyLine = () => /SHALLOT_RELAY_READY (.*)/.exec(logs())?.[1]
  await waitReady('relay from shallot-relay.service', async () => readyLine() != null ? true : 'no SHALLOT_RELAY_READY line yet',
    { child, logs, timeoutMs: 30_000 })
  /** @type {{ multiaddrs: string[], httpUrl: string | null }} */
  const info = JSON.parse(readyLine() ?? '{}')
  return { ...info, argv, keyFile: join(stateRoot, 'shallot-relay', 'relay.key'), stop: () => stopChild(child) }
}

/**
 * The whole server side: coturn with a fresh random secret, the relay
 * handing out credentials for it, Caddy serving appRoot and fronting the
 * relay. The secret never leaves this closure except as derived credentials
 * and a 0600 file the relay reads.
 * @param {Lab} lab
 * @param {{ appRoot: string, turnTtl?: number }} opts
 */
export async function startServerStack (lab, { appRoot, turnTtl }) {
  const secret = randomBytes(32).toString('hex')
  const turnSecretFile = join(lab.tmpDir, 'turn-secret')
  writeFileSync(turnSecretFile, `${secret}\n`, { mode: 0o600 })
  const [, relay] = await Promise.all([
    startCoturn(lab, { secret }),
    startRelayInLab(lab, { turnSecretFile, turnTtl }),
    startCaddy(lab, { appRoot })
  ])
  return {
    appUrl: APP_URL,
    relayInfoUrl: RELAY_INFO_URL,
    relay,
    turnSecretFile,
    /**
     * RTCIceServers for coturn with fresh credentials, as the relay would hand out.
     * @param {{ ttlSeconds?: number, stun?: boolean, turn?: boolean }} [opts]
     */
    iceServers ({ ttlSeconds = 600, stun = true, turn = true } = {}) {
      const servers = []
      if (stun) servers.push({ urls: ICE_URLS.filter(u => u.startsWith('stun:')) })
      if (turn) servers.push({ urls: ICE_URLS.filter(u => u.startsWith('turn:')), ...turnCredentials(secret, ttlSeconds) })
      return servers
    }
  }
}
