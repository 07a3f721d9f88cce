// Import-direction check (docs/ARCHITECTURE.md): fails when a layer imports a
// layer it may not, or a package that does not belong in it. Part of `npm test`.
//
//   node scripts/check-imports.mjs            check src/
//   node scripts/check-imports.mjs --self-test prove the check catches a bad import
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(fileURLToPath(new URL('../', import.meta.url)))
const src = join(root, 'src')

/** Which of our layers each layer may import (itself always allowed). */
export const ALLOWED = {
  core: [],
  net: ['core'],
  storage: ['core'],
  app: ['net', 'storage', 'core'],
  ui: ['app', 'core'],
  bootstrap: ['core']
}

/** Packages (by prefix) each layer must not import. */
export const FORBIDDEN_PACKAGES = {
  core: ['libp2p', '@libp2p/', '@chainsafe/', '@multiformats/', 'idb', 'react', 'react-dom', 'node:', 'qrcode'],
  net: ['react', 'react-dom', 'idb'],
  storage: ['libp2p', '@libp2p/', '@chainsafe/', '@multiformats/', 'react', 'react-dom'],
  app: ['libp2p', '@libp2p/', '@chainsafe/', '@multiformats/', 'idb', 'react', 'react-dom'],
  ui: ['libp2p', '@libp2p/', '@chainsafe/', '@multiformats/', 'idb'],
  bootstrap: ['react', 'react-dom', 'idb']
}

const IMPORT_RE = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|[\s;])import\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g

function layerOf (file) {
  const rel = relative(src, file)
  if (rel.startsWith('..')) return null
  const top = rel.split(sep)[0]
  return top in ALLOWED ? top : null
}

export function checkSource (file, text) {
  const problems = []
  const layer = layerOf(file)
  if (layer == null) return problems
  const stripped = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1')
  for (const m of stripped.matchAll(IMPORT_RE)) {
    const spec = m[1] ?? m[2] ?? m[3]
    if (spec == null) continue
    if (spec.startsWith('.')) {
      const target = layerOf(resolve(dirname(file), spec))
      if (target == null) {
        problems.push(`${relative(root, file)}: imports ${spec}, outside the layered source tree`)
      } else if (target !== layer && !ALLOWED[layer].includes(target)) {
        problems.push(`${relative(root, file)}: ${layer} may not import ${target} (${spec})`)
      }
    } else {
      const bad = FORBIDDEN_PACKAGES[layer].find(p => p.endsWith('/') || p.endsWith(':') ? spec.startsWith(p) : spec === p || spec.startsWith(p + '/'))
      if (bad != null) problems.push(`${relative(root, file)}: ${layer} may not import package ${spec}`)
    }
  }
  return problems
}

function walk (dir, out = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) walk(p, out)
    else if (/\.(ts|tsx|mts|mjs|js)$/.test(name)) out.push(p)
  }
  return out
}

function selfTest () {
  const cases = [
    [join(src, 'core', 'x.ts'), "import { a } from '../net/network.ts'", true],
    [join(src, 'core', 'x.ts'), "import { createLibp2p } from 'libp2p'", true],
    [join(src, 'net', 'x.ts'), "import { App } from '../ui/App.tsx'", true],
    [join(src, 'ui', 'x.tsx'), "import { Network } from '../net/network.ts'", true],
    [join(src, 'bootstrap', 'x.ts'), "import { x } from '../app/config.ts'", true],
    [join(src, 'app', 'x.ts'), "import { Network } from '../net/network.ts'", false],
    [join(src, 'app', 'x.ts'), "import { peerIdFromString } from '@libp2p/peer-id'", true],
    [join(src, 'app', 'x.ts'), "import { useState } from 'react'", true],
    [join(src, 'ui', 'x.tsx'), "import type { S } from '../app/services.ts'", false]
  ]
  for (const [file, text, shouldFail] of cases) {
    if ((checkSource(file, text).length > 0) !== shouldFail) {
      console.error(`self-test failed for ${relative(root, file)}: ${text}`)
      process.exit(1)
    }
  }
}

selfTest()
if (!process.argv.includes('--self-test')) {
  const problems = walk(src).flatMap(f => checkSource(f, readFileSync(f, 'utf8')))
  if (problems.length > 0) {
    console.error('Forbidden imports (see docs/ARCHITECTURE.md):')
    for (const p of problems) console.error(`  ${p}`)
    process.exit(1)
  }
  console.log(`import directions ok (${walk(src).length} files)`)
}
