// `npm run test:netlab`: the network-lab e2e tests (e2e-net/) — real Chromium,
// coturn, Caddy and the bootstrap relay in Linux network namespaces with NAT
// routers (scripts/netlab/). Needs root. As another user it says what to run
// and fails, unless SHALLOT_SKIP_NETLAB=1 says to skip them knowingly.
import { spawnSync } from 'node:child_process'

if (process.env.SHALLOT_SKIP_NETLAB === '1') {
  console.warn('network-lab tests SKIPPED (SHALLOT_SKIP_NETLAB=1): NAT traversal, TURN and the deployment files were not tested.')
  process.exit(0)
}
if (process.getuid?.() !== 0) {
  console.error('The network-lab tests need root: they create network namespaces, veth links and nftables rules.\n' +
    'Run them with:\n\n  sudo npm run test:netlab\n\n(or run all of `sudo npm test`; SHALLOT_SKIP_NETLAB=1 skips them knowingly).')
  process.exit(1)
}
const res = spawnSync(process.execPath, ['node_modules/@playwright/test/cli.js', 'test', '-c', 'playwright.netlab.config.ts', ...process.argv.slice(2)], { stdio: 'inherit' })
process.exit(res.status ?? 1)
