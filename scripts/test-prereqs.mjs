// First step of `npm test`: make sure what the e2e tests need is on this
// machine, installing it where we can (root: Debian's packages through apt),
// and otherwise saying exactly which command to run, before any test starts.
//
//   e2e/      a Chromium: Debian's /usr/bin/chromium, or Playwright's own
//   e2e-net/  root (network namespaces), nftables, coturn, caddy, chromium
import { existsSync, readdirSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'

const isRoot = process.getuid?.() === 0
const skipNetlab = process.env.SHALLOT_SKIP_NETLAB === '1'

const hasCommand = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0
const playwrightChromium = () => {
  const dir = join(homedir(), '.cache', 'ms-playwright')
  return existsSync(dir) && readdirSync(dir).some(d => d.startsWith('chromium'))
}

const needed = []
const hasChromium = () => existsSync('/usr/bin/chromium') || existsSync('/usr/bin/chromium-browser') || playwrightChromium()
if (!hasChromium() && !isRoot) {
  // Not root, so no apt: Playwright's own Chromium, where it can be downloaded.
  console.log('no Chromium found: trying `npx playwright install chromium`')
  spawnSync(process.execPath, ['node_modules/@playwright/test/cli.js', 'install', 'chromium'], { stdio: 'inherit', timeout: 600_000 })
}
if (!hasChromium()) needed.push('chromium')
if (!skipNetlab) {
  for (const [cmd, pkg] of [['nft', 'nftables'], ['turnserver', 'coturn'], ['caddy', 'caddy'], ['ip', 'iproute2']]) {
    if (!hasCommand(cmd)) needed.push(pkg)
  }
}

if (needed.length > 0) {
  const command = `apt-get update && apt-get install -y ${needed.join(' ')}`
  if (!isRoot) {
    console.error(`npm test needs ${needed.join(', ')}. Run first:\n\n  sudo sh -c '${command}'\n`)
    if (needed.includes('chromium')) console.error('(Where Playwright can download browsers, `npx playwright install chromium` also provides a Chromium.)')
    process.exit(1)
  }
  console.log(`installing ${needed.join(', ')} (apt)`)
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  for (const argv of [['apt-get', 'update', '-qq'], ['apt-get', 'install', '-y', '-qq', ...needed]]) {
    const res = spawnSync(argv[0], argv.slice(1), { env, stdio: 'inherit', timeout: 900_000 })
    if (res.status !== 0) {
      console.error(`\`${argv.join(' ')}\` failed. Install by hand: ${command}`)
      process.exit(1)
    }
  }
}

if (!isRoot && !skipNetlab) {
  console.warn('note: the network-lab tests (e2e-net/, last in npm test) need root for network namespaces; ' +
    'as this user they will stop npm test with the command to run (`sudo npm run test:netlab`). ' +
    'Set SHALLOT_SKIP_NETLAB=1 to skip them knowingly.')
}
