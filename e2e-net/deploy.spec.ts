/**
 * Every piece of deploy/ is valid and runs: the systemd units and drop-ins
 * pass `systemd-analyze verify`, the Caddyfile validates for the lab and for
 * production, the lab's coturn and Caddy run the operator's files as they are
 * (checked here from a home, through its NAT), and the relay starts with the
 * exact ExecStart of shallot-relay.service. So an operator's files cannot rot
 * unnoticed, nor drift apart from what the tests run.
 */
import { spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { BrowserContext, Page } from '@playwright/test'
import { test, expect, type NetLab } from './lab-fixtures'
// @ts-expect-error plain ESM module (scripts/netlab)
import { DEPLOY, RELAY_ANNOUNCE, caddyEnv, probe, startRelayFromUnit, turnCredentials } from '../scripts/netlab/services.mjs'
// @ts-expect-error plain ESM module (scripts/netlab)
import { parseEnvironmentFile } from '../scripts/netlab/systemd-unit.mjs'

const ROOT = fileURLToPath(new URL('../', import.meta.url))
const deploy = DEPLOY as { coturnConf: string, caddyfile: string, relayUnit: string, relayEnvExample: string }
const SERVER_IP = '203.0.113.10'

let scratch = ''
let contexts: BrowserContext[] = []
test.beforeAll(() => { scratch = mkdtempSync(join(tmpdir(), 'shallot-deploy-check-')) })
test.afterAll(() => { rmSync(scratch, { recursive: true, force: true }) })
test.afterEach(async () => {
  await Promise.all(contexts.map(async c => { await c.close() }))
  contexts = []
})

function run (cmd: string, args: string[], env?: NodeJS.ProcessEnv) {
  const res = spawnSync(cmd, args, { encoding: 'utf8', env: env ?? process.env, timeout: 60_000 })
  return { code: res.status, out: `${res.stdout ?? ''}${res.stderr ?? ''}` }
}

/** `systemd-analyze verify` prints problems as "<file>:<line>: …" (and still exits 0 for most). */
function verifyUnits (files: string[], unitPath?: string) {
  const env = unitPath != null ? { ...process.env, SYSTEMD_UNIT_PATH: `${unitPath}:` } : process.env
  return run('systemd-analyze', ['verify', ...files], env)
}

async function pageIn (netlab: NetLab, home: string, path = 'icon.svg'): Promise<Page> {
  const context = await (await netlab.launchIn(home)).newContext()
  contexts.push(context)
  const page = await context.newPage()
  await page.goto(new URL(path, netlab.appUrl).href)
  return page
}

test('shallot-relay.service passes systemd-analyze verify', () => {
  // A copy whose paths exist here, so verify checks the ExecStart binary too.
  const unit = join(scratch, 'shallot-relay.service')
  writeFileSync(unit, readFileSync(deploy.relayUnit, 'utf8')
    .replaceAll('/opt/shallot', ROOT.replace(/\/$/, ''))
    .replaceAll('/etc/shallot/shallot-relay.env', deploy.relayEnvExample))
  const res = verifyUnits([unit])
  expect(res.out).toBe('')
  expect(res.code).toBe(0)
})

for (const service of ['coturn', 'caddy']) {
  test(`${service}.service drop-in passes systemd-analyze verify on Debian's unit`, () => {
    const debianUnit = `/lib/systemd/system/${service}.service`
    test.skip(!existsSync(debianUnit), `${debianUnit} not installed`)
    const dir = join(scratch, `${service}-units`)
    mkdirSync(join(dir, `${service}.service.d`), { recursive: true })
    copyFileSync(debianUnit, join(dir, `${service}.service`))
    copyFileSync(join(ROOT, `deploy/systemd/${service}.service.d/shallot.conf`), join(dir, `${service}.service.d/shallot.conf`))
    const res = verifyUnits([join(dir, `${service}.service`)], dir)
    expect(res.out).not.toContain('shallot.conf')
    expect(res.code).toBe(0)
  })
}

test('the env example defines every variable the unit and the Caddyfile use', () => {
  const env = parseEnvironmentFile(readFileSync(deploy.relayEnvExample, 'utf8')) as Record<string, string>
  const code = (file: string) => readFileSync(file, 'utf8').split('\n').filter(l => !l.trim().startsWith('#')).join('\n')
  const unitVars = [...code(deploy.relayUnit).matchAll(/\$\{([A-Z_]+)\}/g)].map(m => m[1])
  const caddyVars = [...code(deploy.caddyfile).matchAll(/\{\$([A-Z_]+)\}/g)].map(m => m[1])
  expect(unitVars.length).toBeGreaterThan(0)
  expect(caddyVars.length).toBeGreaterThan(0)
  for (const name of [...unitVars, ...caddyVars]) expect(Object.keys(env), name).toContain(name)
})

test('the Caddyfile validates with lab and production settings, and is formatted', () => {
  const dir = join(scratch, 'caddy')
  const lab = caddyEnv({ dir, appRoot: ROOT }) as Record<string, string>
  const production = { ...lab, ...parseEnvironmentFile(readFileSync(deploy.relayEnvExample, 'utf8')) as Record<string, string> }
  for (const env of [lab, production]) {
    const res = run('caddy', ['validate', '--config', deploy.caddyfile, '--adapter', 'caddyfile'], env)
    expect(res.out).toContain('Valid configuration')
    expect(res.out).not.toContain('not formatted')
    expect(res.code).toBe(0)
  }
})

test('deploy/install.sh is valid sh', () => {
  const res = run('sh', ['-n', join(ROOT, 'deploy/install.sh')])
  expect(res.out).toBe('')
  expect(res.code).toBe(0)
})

test('coturn (deploy config) answers STUN from behind each NAT with the router\'s address', async ({ netlab }) => {
  for (const [name, home] of Object.entries(netlab.lab.homes)) {
    for (const transport of ['udp', 'tcp']) {
      const { answer, error } = await probe(netlab.lab, home.ns, ['stun', SERVER_IP, '3478', transport]) as { answer: string | null, error: string }
      expect(answer, `${name} ${transport}: ${error}`).toMatch(new RegExp(`^${home.wanIp.replaceAll('.', '\\.')}:\\d+$`))
    }
  }
})

test('coturn relays with REST credentials through a NAT, and refuses private peers (deploy/README.md check)', async ({ netlab }) => {
  test.skip(!existsSync('/usr/bin/turnutils_uclient'), 'turnutils_uclient (coturn package) missing')
  const secret = readFileSync(netlab.turnSecretFile, 'utf8').trim()
  const { username, credential } = turnCredentials(secret, 600) as { username: string, credential: string }
  const uclient = async (args: string[]) => await netlab.lab.run(netlab.lab.homes.h1!.ns,
    ['turnutils_uclient', '-u', username, '-w', credential, '-n', '2', ...args, SERVER_IP], { timeoutMs: 30_000 })
  const ok = await uclient(['-y'])
  expect(ok.stdout + ok.stderr).toContain('Total lost packets 0 ')
  const denied = await uclient(['-e', '10.1.0.2', '-r', '3480'])
  expect(denied.stdout + denied.stderr).toContain('403 (Forbidden IP)')
})

test('Caddy (deploy Caddyfile) serves the app with its caching and security headers', async ({ netlab }) => {
  const page = await pageIn(netlab, 'h2', 'icon.svg')
  const index = await page.goto(netlab.appUrl)
  expect(index?.status()).toBe(200)
  const headers = await index!.allHeaders()
  expect(headers['cache-control']).toBe('no-cache')
  expect(headers['content-security-policy']).toContain('connect-src \'self\' https://relay.shallot.test wss://relay.shallot.test')
  expect(headers['referrer-policy']).toBe('no-referrer')
  expect(headers['permissions-policy']).toContain('camera=()')
  expect(headers.server).toBeUndefined()
  const sw = await page.goto(new URL('sw.js', netlab.appUrl).href)
  expect((await sw!.allHeaders())['cache-control']).toBe('no-cache')
  const asset = readFileSync(join(netlab.lab.tmpDir, 'dist/index.html'), 'utf8').match(/\/assets\/[^"]+\.js/)?.[0]
  test.skip(asset == null, 'SHALLOT_NETLAB_DIST given: no lab build to read an asset name from')
  const res = await page.goto(new URL(asset!, netlab.appUrl).href)
  expect(res?.status()).toBe(200)
  expect((await res!.allHeaders())['cache-control']).toBe('public, max-age=31536000, immutable')
})

test('a tab reaches the relay through Caddy: the info endpoint over https, libp2p over wss', async ({ netlab }) => {
  const page = await pageIn(netlab, 'h1')
  const info = await page.evaluate(async (url) => await (await fetch(url, { cache: 'no-store' })).json() as { multiaddrs: string[] }, netlab.relayInfoUrl)
  expect(info.multiaddrs).toEqual(netlab.relay.multiaddrs)
  expect(info.multiaddrs[0]).toMatch(new RegExp(`^${RELAY_ANNOUNCE as string}/p2p/`))
  const opened = await page.evaluate(async (url) => await new Promise<string>((resolve) => {
    const ws = new WebSocket(url)
    const timer = setTimeout(() => { resolve('timeout') }, 10_000)
    ws.onopen = () => { clearTimeout(timer); ws.close(); resolve('open') }
    ws.onerror = () => { clearTimeout(timer); resolve('error') }
  }), 'wss://relay.shallot.test/')
  expect(opened).toBe('open')
  // Anything else on the relay's name is a 404 (no CORS: asked from the home's shell, not the page).
  const plain = await probe(netlab.lab, netlab.lab.homes.h1!.ns, ['https', 'https://relay.shallot.test/', SERVER_IP]) as { answer: string | null }
  expect(plain.answer).toBe('404')
})

test('the relay starts with the exact ExecStart of shallot-relay.service', async ({ netlab }) => {
  const relay = await startRelayFromUnit(netlab.lab, { turnSecretFile: netlab.turnSecretFile, port: 9190, httpPort: 9191 }) as {
    multiaddrs: string[], argv: string[], keyFile: string, stop(): Promise<void>
  }
  expect(relay.argv).toEqual(expect.arrayContaining(['--turn-secret-file', '--key-file', '--ice-urls']))
  expect(relay.multiaddrs[0]).toMatch(new RegExp(`^${RELAY_ANNOUNCE as string}/p2p/`))
  expect(existsSync(relay.keyFile)).toBe(true) // StateDirectory= (%S) holds the key
  const res = await netlab.lab.run(netlab.lab.server.ns, [process.execPath, '-e',
    'fetch("http://127.0.0.1:9191/info").then(r => r.json()).then(j => process.stdout.write(JSON.stringify(j)))'], { timeoutMs: 10_000 })
  expect(JSON.parse(res.stdout)).toEqual({ multiaddrs: relay.multiaddrs })
  await relay.stop()
})
