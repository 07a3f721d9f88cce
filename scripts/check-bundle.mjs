// Release-bundle check: fails when the release build (dist/, what deploy/
// serves) contains the test harness page or any test hook — by file, by
// name in the served code, or by a source module of src/app/testing/ in its
// source maps. Part of `npm test`, after `npm run build`.
//
//   node scripts/check-bundle.mjs            check dist/
//   node scripts/check-bundle.mjs DIR        check another build (a test build fails)
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(fileURLToPath(new URL('../', import.meta.url)))

/**
 * Names only test code has: the hook globals and URL switches, the hook
 * methods e2e tests and the bench call, and the harness page.
 */
export const HOOK_NAMES = [
  'harness.html', 'shallotChat', 'shallotIdentity', 'chat-test-hooks', 'identity-test-hooks',
  'installChatTestHooks', 'installIdentityTestHooks', 'createHarness',
  'publishImpersonating', 'replayLastIntroduction', 'lastIntroduction', 'refusedIntroductions', 'impersonate',
  'measureConnect', 'measureRtt', 'debugState', 'contactKeys',
  'sendGarbage', 'cryptoBench', 'rawEchoRtts', 'rawGoodput', 'networkFigures', 'relayStats'
]

/** Source modules that only test builds may contain. */
const TEST_SOURCES = /(^|\/)src\/(app\/testing|net\/testing|ui\/harness|core\/crypto\/testing)\//

function filesUnder (dir) {
  return readdirSync(dir).flatMap(name => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? filesUnder(path) : [path]
  })
}

export function checkBundle (dir) {
  const problems = []
  for (const file of filesUnder(dir)) {
    const rel = relative(dir, file)
    if (/(^|\/)harness[.-]/.test(rel)) problems.push(`${rel}: the test harness page is in the bundle`)
    const text = readFileSync(file, 'latin1')
    if (rel.endsWith('.map')) {
      // A map's sourcesContent holds whole source files (comments, dead branches): what counts is which modules were bundled.
      const sources = JSON.parse(text).sources ?? []
      for (const s of sources) if (TEST_SOURCES.test(s)) problems.push(`${rel}: bundles test module ${s}`)
      continue
    }
    for (const name of HOOK_NAMES) if (text.includes(name)) problems.push(`${rel}: contains test hook name '${name}'`)
  }
  return problems
}

const dir = resolve(root, process.argv[2] ?? 'dist')
if (!existsSync(join(dir, 'index.html'))) {
  console.error(`check-bundle: no build in ${relative(root, dir) || '.'} (run npm run build first)`)
  process.exit(1)
}
const problems = checkBundle(dir)
if (problems.length > 0) {
  console.error(`check-bundle: ${relative(root, dir)} is not a release bundle:\n  ` + problems.join('\n  '))
  process.exit(1)
}
console.log(`release bundle ok (${relative(root, dir)}: no harness, no test hooks)`)
