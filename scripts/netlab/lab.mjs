/**
 * A tiny internet made of Linux network namespaces, so real Chromium, coturn,
 * Caddy and the bootstrap relay can show NAT traversal on one machine.
 *
 *                    switch namespace (bridge br0) = "the internet", 203.0.113.0/24
 *        ┌──────────────┬──────────────┬──────────────┐
 *   server 203.0.113.10   router r1 .21   router r2 .22   router r3 .23 …
 *   (relay, coturn,       │ nft masquerade (cone) / masquerade random (symmetric)
 *    Caddy)               home h1 10.1.0.2 (default route via 10.1.0.1)
 *
 * Why namespaces: they are real kernel networking (conntrack NAT, real UDP),
 * so ICE behaves as it does behind home routers, and a test controls every box.
 *
 * Safety: only documentation (203.0.113.0/24) and private (10.x) addresses are
 * used, every veth is created directly between two lab namespaces (no interface
 * ever appears in, or is moved out of, the machine's own namespace), and no
 * namespace has a route to anything outside the lab. Everything a lab creates
 * is recorded in a state file under /run/shallot-netlab/, so `sweepStale()`
 * can remove what a crashed run left behind, and is removed on destroy(),
 * process exit, SIGINT and SIGTERM.
 *
 * CLI: `node scripts/netlab/lab.mjs up|down|sweep` (as root).
 *
 * One file of ~500 lines on purpose: building a namespace and recording it for
 * teardown sit side by side, so a reader can check in one place that nothing
 * the lab creates can outlive it or reach a real interface.
 */
import { execFileSync, spawn as spawnChild, spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, rmdirSync, writeFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** Address of the server namespace (relay, coturn, Caddy). */
export const SERVER_IP = '203.0.113.10'
/** The lab's "public internet": a documentation prefix (RFC 5737), never routed anywhere real. */
export const PUBLIC_PREFIX = '203.0.113'
/** Host names the lab serves, mapped to SERVER_IP in every lab namespace's /etc/hosts. */
export const LAB_HOSTS = ['app.shallot.test', 'relay.shallot.test', 'turn.shallot.test']
/** Every lab's prefix starts with this, so a sweep finds only lab namespaces. */
export const PREFIX_ROOT = 'shl'
/** Prefix of the lab made by the CLI's `up` (kept until `down` or `sweep`). */
export const CLI_PREFIX = 'shlcli'

const STATE_DIR = '/run/shallot-netlab'
const NETNS_ETC = '/etc/netns'
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find(p => existsSync(p)) ?? '/usr/bin/chromium'
const MAX_HOMES = 4
const COMMAND_TIMEOUT_MS = 15_000

/** @typedef {'cone' | 'symmetric'} NatKind */
/** @typedef {{ name: string, nat: NatKind }} HomeSpec */
/**
 * @typedef {object} Home
 * @property {string} ns        the home's namespace (one computer on the LAN)
 * @property {string} routerNs  its router's namespace
 * @property {string} lanIp     the computer's address, 10.<i>.0.2
 * @property {string} wanIp     the router's public address, 203.0.113.2<i>
 * @property {string} gateway   the router's LAN address, 10.<i>.0.1
 * @property {NatKind} nat
 */
/** @typedef {{ code: number | null, stdout: string, stderr: string }} RunResult */
/**
 * @typedef {object} RunOptions
 * @property {string} [input]      written to stdin
 * @property {number} [timeoutMs]  killed (SIGKILL) after this; default 30 s
 * @property {string} [cwd]
 * @property {NodeJS.ProcessEnv} [env]
 */

export const DEFAULT_HOMES = /** @type {HomeSpec[]} */ ([
  { name: 'h1', nat: 'cone' },
  { name: 'h2', nat: 'cone' },
  { name: 'h3', nat: 'symmetric' }
])

/** Something the lab needs is missing or the lab could not be built; the message says what to do. */
export class LabError extends Error {
  /** @param {string} message @param {{ cause?: unknown }} [options] */
  constructor (message, options) {
    super(message, options)
    this.name = 'LabError'
  }
}

/** @param {string} cmd */
function hasCommand (cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0
}

/**
 * Make sure the lab can run here: root (network namespaces need CAP_SYS_ADMIN
 * and CAP_NET_ADMIN), and `ip`, `nft`, `turnserver`, `caddy` and Chromium
 * installed (missing ones are installed with apt-get).
 *
 * Installing coturn or caddy may start Debian's own system services; the lab
 * never talks to them: it starts its own processes, with the repository's
 * deploy/ configuration, inside the server namespace, whose ports and
 * addresses the system services cannot see.
 */
export function ensurePrerequisites () {
  if (process.getuid?.() !== 0) {
    throw new LabError('the network lab needs root: it creates Linux network namespaces, veth links and nftables rules. ' +
      'Run it as root: `sudo npm run test:netlab` (or `sudo npx playwright test -c playwright.netlab.config.ts`).')
  }
  /** @type {Array<[string, string]>} */
  const tools = [['ip', 'iproute2'], ['nft', 'nftables'], ['turnserver', 'coturn'], ['caddy', 'caddy'], [CHROMIUM, 'chromium']]
  const missing = tools.filter(([cmd]) => !hasCommand(cmd)).map(([, pkg]) => pkg)
  if (missing.length === 0) return
  const command = `apt-get update && apt-get install -y ${missing.join(' ')}`
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  for (const argv of [['apt-get', 'update'], ['apt-get', 'install', '-y', ...missing]]) {
    const res = spawnSync(argv[0], argv.slice(1), { env, encoding: 'utf8', timeout: 600_000 })
    if (res.status !== 0) {
      throw new LabError(`the network lab needs ${missing.join(', ')}, and installing failed (${argv.join(' ')} exited with ${res.status ?? res.signal}). ` +
        `Install by hand: \`${command}\`\n${tail(res.stderr ?? '')}`)
    }
  }
  const still = tools.filter(([cmd]) => !hasCommand(cmd)).map(([, pkg]) => pkg)
  if (still.length > 0) throw new LabError(`installed, but still missing: ${still.join(', ')}. Try \`${command}\`.`)
}

/** Last lines of a log, for error messages. @param {string} text @param {number} [lines] */
export function tail (text, lines = 20) {
  return text.trimEnd().split('\n').slice(-lines).join('\n')
}

/**
 * Run a command in the machine's namespace, synchronously, failing loudly.
 * @param {string} cmd @param {string[]} args @param {string} [input]
 */
function sh (cmd, args, input) {
  try {
    return execFileSync(cmd, args, { input, encoding: 'utf8', timeout: COMMAND_TIMEOUT_MS, stdio: ['pipe', 'pipe', 'pipe'] })
  } catch (err) {
    const e = /** @type {{ stderr?: string, message: string }} */ (err)
    throw new LabError(`${cmd} ${args.join(' ')} failed: ${(e.stderr ?? '').trim() || e.message}`, { cause: err })
  }
}

/** Same, but ignore failures (cleanup of things that may already be gone). @param {string} cmd @param {string[]} args */
function shQuiet (cmd, args) {
  spawnSync(cmd, args, { stdio: 'ignore', timeout: COMMAND_TIMEOUT_MS })
}

/** @returns {string[]} names of all network namespaces */
function listNamespaces () {
  const out = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8', timeout: COMMAND_TIMEOUT_MS }).stdout ?? ''
  return out.split('\n').map(l => l.split(' ')[0] ?? '').filter(Boolean)
}

/** @param {number} pid */
function alive (pid) {
  try { process.kill(pid, 0); return true } catch (err) { return /** @type {NodeJS.ErrnoException} */ (err).code === 'EPERM' }
}

/**
 * Kill every process still inside a namespace (a namespace outlives
 * `ip netns del` while processes hold it), then delete it and its /etc/netns dir.
 * @param {string} ns
 */
function removeNamespace (ns) {
  const pids = (spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8', timeout: COMMAND_TIMEOUT_MS }).stdout ?? '')
    .split('\n').map(Number).filter(n => Number.isInteger(n) && n > 0)
  for (const pid of pids) { try { process.kill(pid, 'SIGKILL') } catch { /* already gone */ } }
  shQuiet('ip', ['netns', 'del', ns])
  rmSync(join(NETNS_ETC, ns), { recursive: true, force: true })
}

/**
 * @typedef {object} LabState  what a lab wrote down so a later sweep can undo it
 * @property {string} prefix
 * @property {number} pid        the owning process; 0 for a CLI lab kept until `down`
 * @property {string[]} namespaces
 * @property {string} tmpDir
 */

/** @param {string} prefix */
const stateFile = (prefix) => join(STATE_DIR, `${prefix}.json`)

/** @param {LabState} state */
function removeLabState (state) {
  for (const ns of [...state.namespaces].reverse()) removeNamespace(ns)
  rmSync(state.tmpDir, { recursive: true, force: true })
  rmSync(stateFile(state.prefix), { force: true })
  // Directories the lab created, once no lab uses them.
  for (const dir of [NETNS_ETC, STATE_DIR]) { try { rmdirSync(dir) } catch { /* not empty, or absent */ } }
}

/**
 * Remove what crashed runs left: labs whose owning process is gone, and lab
 * namespaces no state file accounts for. A live run's lab is left alone, and
 * so is the CLI's `up` lab unless includeCli is set.
 * @param {string} [prefix] only labs whose prefix starts with this
 * @param {{ includeCli?: boolean }} [opts]
 * @returns {string[]} the namespaces removed
 */
export function sweepStale (prefix = PREFIX_ROOT, { includeCli = false } = {}) {
  if (!prefix.startsWith(PREFIX_ROOT)) throw new LabError(`sweep prefix must start with "${PREFIX_ROOT}"`)
  const removed = []
  const kept = new Set()
  const states = existsSync(STATE_DIR) ? readdirSync(STATE_DIR).filter(f => f.endsWith('.json')) : []
  for (const file of states) {
    /** @type {LabState} */
    let state
    try { state = JSON.parse(readFileSync(join(STATE_DIR, file), 'utf8')) } catch { rmSync(join(STATE_DIR, file), { force: true }); continue }
    if (!state.prefix.startsWith(prefix)) { state.namespaces.forEach(ns => kept.add(ns)); continue }
    const owned = state.pid === 0 ? !includeCli : alive(state.pid)
    if (owned) { state.namespaces.forEach(ns => kept.add(ns)); continue }
    removeLabState(state)
    removed.push(...state.namespaces)
  }
  const pattern = new RegExp(`^${PREFIX_ROOT}[0-9a-z]+-[0-9a-z]+$`)
  for (const ns of listNamespaces()) {
    if (ns.startsWith(prefix) && pattern.test(ns) && !kept.has(ns)) {
      removeNamespace(ns)
      removed.push(ns)
    }
  }
  return [...new Set(removed)]
}

/** Labs of this process, destroyed synchronously if the process exits or is signalled. */
const liveLabs = new Set()
let hooksInstalled = false

function installExitHooks () {
  if (hooksInstalled) return
  hooksInstalled = true
  process.on('exit', () => { for (const lab of liveLabs) lab.destroySync() })
  for (const [signal, code] of /** @type {Array<[NodeJS.Signals, number]>} */ ([['SIGINT', 130], ['SIGTERM', 143]])) {
    process.on(signal, () => {
      for (const lab of liveLabs) lab.destroySync()
      // Only decide the exit ourselves if nobody else (e.g. a test runner) listens.
      if (process.listenerCount(signal) === 1) process.exit(code)
    })
  }
}

/** @param {string} ns @param {string[]} args */
const inNs = (ns, args) => sh('ip', ['netns', 'exec', ns, ...args])

/**
 * nftables of a home router: NAT everything leaving the WAN, forward only
 * LAN→WAN and the replies to it (conntrack established/related), accept
 * nothing unsolicited from the WAN. No port forwards, no UPnP: like a
 * consumer router. `masquerade random` picks a new random source port for
 * every new flow, hence a new mapping per destination: a symmetric NAT.
 * Plain `masquerade` keeps the source port when free: one mapping per
 * source port whatever the destination (endpoint-independent mapping), with
 * address-and-port-dependent filtering: a port-restricted cone.
 * @param {NatKind} nat
 */
function routerRuleset (nat) {
  return `
table ip shallot_nat {
  chain forward {
    type filter hook forward priority filter; policy drop;
    iifname "lan" oifname "wan" accept
    iifname "wan" oifname "lan" ct state established,related accept
  }
  chain input {
    type filter hook input priority filter; policy drop;
    iifname "lo" accept
    iifname "lan" accept
    ct state established,related accept
  }
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "wan" masquerade${nat === 'symmetric' ? ' random' : ''}
  }
}
`
}

/**
 * Build a lab.
 * @param {{ prefix?: string, homes?: HomeSpec[], keep?: boolean }} [opts]
 *   prefix: namespace name prefix (default `shl` + 4 random chars);
 *   homes: up to 4 homes, each behind its own NAT router;
 *   keep: a CLI lab that outlives this process (recorded with pid 0).
 */
export function createLab ({ prefix = PREFIX_ROOT + randomBytes(2).toString('hex'), homes = DEFAULT_HOMES, keep = false } = {}) {
  if (!/^shl[0-9a-z]{1,6}$/.test(prefix)) throw new LabError(`lab prefix must be "shl" plus 1-6 of [0-9a-z], got "${prefix}"`)
  if (homes.length < 1 || homes.length > MAX_HOMES) throw new LabError(`a lab has 1 to ${MAX_HOMES} homes, got ${homes.length}`)
  for (const h of homes) {
    if (!/^[a-z][a-z0-9]{0,7}$/.test(h.name)) throw new LabError(`home name must be a short identifier, got "${h.name}"`)
    if (h.nat !== 'cone' && h.nat !== 'symmetric') throw new LabError(`home ${h.name}: nat must be "cone" or "symmetric"`)
  }
  if (new Set(homes.map(h => h.name)).size !== homes.length) throw new LabError('home names must be distinct')
  if (listNamespaces().some(ns => ns.startsWith(prefix + '-'))) throw new LabError(`namespaces with prefix ${prefix} exist already; run \`node scripts/netlab/lab.mjs sweep\``)

  installExitHooks()
  mkdirSync(STATE_DIR, { recursive: true })
  const tmpDir = mkdtempSync(join(tmpdir(), `shallot-netlab-${prefix}-`))
  /** @type {LabState} */
  const state = { prefix, pid: keep ? 0 : process.pid, namespaces: [], tmpDir }
  const saveState = () => {
    mkdirSync(STATE_DIR, { recursive: true })
    writeFileSync(stateFile(prefix), JSON.stringify(state))
  }
  /** @type {Set<import('node:child_process').ChildProcess>} */
  const children = new Set()
  /** @type {Array<() => Promise<void> | void>} */
  const cleanups = []
  let destroyed = false

  /** @param {string} ns */
  const addNamespace = (ns) => {
    state.namespaces.push(ns)
    saveState()
    sh('ip', ['netns', 'add', ns])
    // One /etc/hosts per namespace (ip netns exec bind-mounts it), so curl, node
    // and friends resolve the lab's names; nothing else resolves.
    mkdirSync(join(NETNS_ETC, ns), { recursive: true })
    writeFileSync(join(NETNS_ETC, ns, 'hosts'), `127.0.0.1 localhost\n${SERVER_IP} ${LAB_HOSTS.join(' ')}\n`)
    inNs(ns, ['sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1'])
    sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up'])
  }
  /**
   * A veth pair created in namespace a with its peer in namespace b: neither
   * end ever exists in the machine's own namespace.
   * @param {string} a @param {string} ifA @param {string} b @param {string} ifB
   */
  const link = (a, ifA, b, ifB) => {
    sh('ip', ['-n', a, 'link', 'add', ifA, 'type', 'veth', 'peer', 'name', ifB, 'netns', b])
  }
  /** @param {string} ns @param {string} dev @param {string} cidr */
  const up = (ns, dev, cidr) => {
    if (cidr !== '') sh('ip', ['-n', ns, 'addr', 'add', cidr, 'dev', dev])
    sh('ip', ['-n', ns, 'link', 'set', dev, 'up'])
  }

  const sw = `${prefix}-sw`
  const srv = `${prefix}-srv`
  /** @type {Record<string, Home>} */
  const homeMap = {}
  const lab = {
    prefix,
    tmpDir,
    server: { ns: srv, ip: SERVER_IP },
    homes: homeMap,

    /**
     * Run a command inside a namespace and collect its output.
     * @param {string} ns @param {string[]} argv @param {RunOptions} [opts]
     * @returns {Promise<RunResult>}
     */
    run (ns, argv, { input, timeoutMs = 30_000, cwd, env } = {}) {
      return new Promise((resolve, reject) => {
        const child = spawnChild('ip', ['netns', 'exec', ns, ...argv], { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] })
        let stdout = ''
        let stderr = ''
        child.stdout.on('data', (d) => { stdout += d })
        child.stderr.on('data', (d) => { stderr += d })
        const timer = setTimeout(() => { child.kill('SIGKILL') }, timeoutMs)
        child.once('error', (err) => { clearTimeout(timer); reject(err) })
        child.once('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }) })
        child.stdin.end(input ?? '')
      })
    },

    /**
     * Start a long-running process inside a namespace; it is killed on destroy().
     * `ip netns exec` execs the command, so the child's pid is the command's.
     * @param {string} ns @param {string[]} argv @param {import('node:child_process').SpawnOptions} [opts]
     */
    spawn (ns, argv, opts = {}) {
      if (destroyed) throw new LabError('lab destroyed')
      const child = spawnChild('ip', ['netns', 'exec', ns, ...argv], { stdio: ['ignore', 'pipe', 'pipe'], ...opts })
      lab.adopt(child)
      return child
    },

    /**
     * Track a child started elsewhere (e.g. by scripts/lib/relay-process.mjs) so destroy() kills it.
     * @param {import('node:child_process').ChildProcess} child
     */
    adopt (child) {
      children.add(child)
      child.once('exit', () => { children.delete(child) })
    },

    /**
     * Run fn on destroy(), before the processes are killed and the namespaces
     * deleted (last registered, first run). Used for graceful service stops.
     * @param {() => Promise<void> | void} fn
     */
    onDestroy (fn) { cleanups.push(fn) },

    /**
     * An executable that runs Chromium inside a namespace, for Playwright's
     * `executablePath`. Playwright talks to the browser over inherited pipes,
     * which survive `ip netns exec`'s exec.
     * @param {string} ns
     */
    chromiumWrapper (ns) {
      const file = join(tmpDir, `chromium-${ns}`)
      writeFileSync(file, `#!/bin/sh\nexec ip netns exec ${ns} ${CHROMIUM} "$@"\n`)
      chmodSync(file, 0o755)
      return file
    },

    /**
     * Unplug a home's uplink: the router's WAN link goes down, so nothing is
     * forwarded to or from the internet while the home's LAN keeps working.
     * (Linux drops the masquerade mappings of a link that goes down, as a
     * real router that loses its uplink may.)
     * @param {string} homeName
     */
    cutUplink (homeName) {
      sh('ip', ['-n', homeOf(homeName).routerNs, 'link', 'set', 'wan', 'down'])
    },

    /**
     * Plug it back: the WAN link comes up with its address and connected
     * route (kept by the kernel), exactly as before the cut.
     * @param {string} homeName
     */
    restoreUplink (homeName) {
      const { routerNs, wanIp } = homeOf(homeName)
      sh('ip', ['-n', routerNs, 'link', 'set', 'wan', 'up'])
      const routes = sh('ip', ['-n', routerNs, '-4', 'route', 'show', 'dev', 'wan'])
      if (!routes.includes(`${PUBLIC_PREFIX}.0/24`)) throw new LabError(`router of ${homeName} lost its route after restore (wan ${wanIp})`)
    },

    /** Human-readable layout, for the CLI and for failing tests. */
    describe () {
      const lines = [`lab ${prefix}: server ${srv} ${SERVER_IP} (${LAB_HOSTS.join(', ')}), switch ${sw}`]
      for (const [name, h] of Object.entries(homeMap)) {
        lines.push(`  ${name}: ${h.ns} ${h.lanIp} → router ${h.routerNs} wan ${h.wanIp} (${h.nat} NAT)`)
      }
      return lines.join('\n')
    },

    /** Stop services, kill processes, delete namespaces and temp files. Idempotent. */
    async destroy () {
      if (destroyed) return
      destroyed = true
      for (const fn of cleanups.splice(0).reverse()) {
        try { await fn() } catch { /* best effort: the namespaces go anyway */ }
      }
      lab.destroySync()
    },

    /** The synchronous part of destroy(), also used on exit and on signals. */
    destroySync () {
      destroyed = true
      liveLabs.delete(lab)
      for (const child of children) { try { child.kill('SIGKILL') } catch { /* gone */ } }
      children.clear()
      removeLabState(state)
    }
  }

  /** @param {string} name */
  function homeOf (name) {
    const h = homeMap[name]
    if (h == null) throw new LabError(`no home "${name}" in this lab (homes: ${Object.keys(homeMap).join(', ')})`)
    return h
  }

  liveLabs.add(lab)
  try {
    saveState()
    // The public side: one bridge in the switch namespace, no address on it.
    addNamespace(sw)
    sh('ip', ['-n', sw, 'link', 'add', 'br0', 'type', 'bridge'])
    up(sw, 'br0', '')

    addNamespace(srv)
    link(sw, 'p-srv', srv, 'eth0')
    sh('ip', ['-n', sw, 'link', 'set', 'p-srv', 'master', 'br0'])
    up(sw, 'p-srv', '')
    up(srv, 'eth0', `${SERVER_IP}/24`)

    homes.forEach(({ name, nat }, index) => {
      const i = index + 1
      const routerNs = `${prefix}-r${i}`
      const ns = `${prefix}-h${i}`
      const wanIp = `${PUBLIC_PREFIX}.${20 + i}`
      const lanIp = `10.${i}.0.2`
      const gateway = `10.${i}.0.1`
      addNamespace(routerNs)
      link(sw, `p-r${i}`, routerNs, 'wan')
      sh('ip', ['-n', sw, 'link', 'set', `p-r${i}`, 'master', 'br0'])
      up(sw, `p-r${i}`, '')
      up(routerNs, 'wan', `${wanIp}/24`)
      addNamespace(ns)
      link(routerNs, 'lan', ns, 'eth0')
      up(routerNs, 'lan', `${gateway}/24`)
      up(ns, 'eth0', `${lanIp}/24`)
      sh('ip', ['-n', ns, 'route', 'add', 'default', 'via', gateway])
      inNs(routerNs, ['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1'])
      sh('ip', ['netns', 'exec', routerNs, 'nft', '-f', '-'], routerRuleset(nat))
      homeMap[name] = { ns, routerNs, lanIp, wanIp, gateway, nat }
    })
    // IPv6 off everywhere, including links created after the first sysctl.
    for (const ns of state.namespaces) inNs(ns, ['sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1'])
  } catch (err) {
    lab.destroySync()
    throw err
  }
  return lab
}

/** @typedef {ReturnType<typeof createLab>} Lab */

async function cli () {
  const [command] = process.argv.slice(2)
  if (command === 'up') {
    ensurePrerequisites()
    sweepStale(CLI_PREFIX, { includeCli: true })
    const lab = createLab({ prefix: CLI_PREFIX, keep: true })
    liveLabs.delete(lab) // kept on exit: `down` removes it
    console.log(lab.describe())
    console.log(`\nTry: ip netns exec ${lab.homes.h1?.ns} ping -c1 ${SERVER_IP}`)
    console.log('Remove with: node scripts/netlab/lab.mjs down')
  } else if (command === 'down') {
    const removed = sweepStale(CLI_PREFIX, { includeCli: true })
    console.log(removed.length > 0 ? `removed ${removed.join(' ')}` : 'no CLI lab')
  } else if (command === 'sweep') {
    const removed = sweepStale(PREFIX_ROOT, { includeCli: true })
    console.log(removed.length > 0 ? `removed ${removed.join(' ')}` : 'nothing to sweep')
  } else {
    console.error('usage: node scripts/netlab/lab.mjs up|down|sweep   (as root)')
    process.exit(2)
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  cli().catch((err) => { console.error(err instanceof Error ? err.message : err); process.exit(1) })
}
