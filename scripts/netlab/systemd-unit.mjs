/**
 * Just enough of systemd's unit-file syntax to run a unit's ExecStart outside
 * systemd: the lab starts the relay with the command line of
 * deploy/systemd/shallot-relay.service itself, so the unit an operator
 * installs and the one the tests run cannot drift apart.
 *
 * Covered (systemd.syntax(7), systemd.service(7) "Command lines",
 * systemd.exec(7) EnvironmentFile=): sections, `key=value` lines with
 * backslash continuations, comments; quoting with "…" and '…'; `${VAR}` (one
 * word, or spliced into a word) and `$VAR` (split on whitespace); the
 * specifiers given by the caller plus `%%`; ExecStart prefixes `-@:+!`.
 * Anything else (an unknown specifier, several ExecStart lines) is an error
 * rather than a silent guess.
 */
import { readFileSync } from 'node:fs'

/** The unit file is not something this parser can run faithfully. */
export class UnitError extends Error {
  /** @param {string} message */
  constructor (message) {
    super(message)
    this.name = 'UnitError'
  }
}

/**
 * @param {string} text unit file contents
 * @returns {Map<string, Array<[string, string]>>} section → [key, value] in file order
 */
export function parseUnit (text) {
  /** @type {Map<string, Array<[string, string]>>} */
  const sections = new Map()
  /** @type {Array<[string, string]> | null} */
  let current = null
  const lines = text.replace(/\\\n/g, ' ').split('\n')
  for (const raw of lines) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue
    const section = /^\[(.+)\]$/.exec(line)
    if (section != null) {
      current = sections.get(section[1] ?? '') ?? []
      sections.set(section[1] ?? '', current)
      continue
    }
    const eq = line.indexOf('=')
    if (current == null || eq < 1) throw new UnitError(`not a unit file line: ${line}`)
    current.push([line.slice(0, eq).trim(), line.slice(eq + 1).trim()])
  }
  return sections
}

/**
 * The values of a key in a section, honouring "an empty assignment resets the list".
 * @param {Map<string, Array<[string, string]>>} unit @param {string} section @param {string} key
 */
export function values (unit, section, key) {
  /** @type {string[]} */
  let out = []
  for (const [k, v] of unit.get(section) ?? []) {
    if (k !== key) continue
    out = v === '' ? [] : [...out, v]
  }
  return out
}

/**
 * Parse an EnvironmentFile: KEY=value lines, '#'/';' comments, optional quotes.
 * @param {string} text
 * @returns {Record<string, string>}
 */
export function parseEnvironmentFile (text) {
  /** @type {Record<string, string>} */
  const env = {}
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line)
    if (m == null) throw new UnitError(`not an environment line: ${line}`)
    env[m[1] ?? ''] = unquote(m[2] ?? '')
  }
  return env
}

/** @param {string} value */
function unquote (value) {
  const q = value[0]
  if ((q === '"' || q === "'") && value.endsWith(q) && value.length >= 2) return value.slice(1, -1)
  return value
}

/**
 * Split a command line into words, keeping quoted strings together. Each word
 * records whether it was quoted (quoted words are not split by `$VAR`).
 * @param {string} line
 * @returns {Array<{ text: string, quoted: boolean }>}
 */
function words (line) {
  const out = []
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g
  for (const m of line.matchAll(re)) {
    if (m[1] != null) out.push({ text: m[1].replace(/\\(.)/g, '$1'), quoted: true })
    else if (m[2] != null) out.push({ text: m[2], quoted: true })
    else out.push({ text: m[3] ?? '', quoted: false })
  }
  return out
}

/**
 * @param {string} word @param {Record<string, string>} specifiers e.g. { S: '/var/lib', d: '/run/credentials/x' }
 */
function expandSpecifiers (word, specifiers) {
  return word.replace(/%(.)/g, (_, c) => {
    if (c === '%') return '%'
    const v = specifiers[c]
    if (v == null) throw new UnitError(`unit uses specifier %${c}, which the lab does not provide`)
    return v
  })
}

/**
 * The argv of the unit's single ExecStart, with specifiers and variables expanded.
 * @param {Map<string, Array<[string, string]>>} unit
 * @param {{ env: Record<string, string>, specifiers: Record<string, string> }} ctx
 * @returns {string[]}
 */
export function execStartArgv (unit, { env, specifiers }) {
  const lines = values(unit, 'Service', 'ExecStart')
  if (lines.length !== 1) throw new UnitError(`expected one ExecStart, found ${lines.length}`)
  const line = (lines[0] ?? '').replace(/^[-@:+!]+/, '')
  /** @type {string[]} */
  const argv = []
  for (const { text, quoted } of words(line)) {
    const word = expandSpecifiers(text, specifiers)
    const bare = /^\$([A-Za-z_][A-Za-z0-9_]*)$/.exec(word)
    if (bare != null && !quoted) {
      argv.push(...(env[bare[1] ?? ''] ?? '').split(/\s+/).filter(Boolean))
      continue
    }
    argv.push(word.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name) => env[name] ?? ''))
  }
  return argv
}

/**
 * Everything needed to start a unit's ExecStart as systemd would (minus the
 * sandbox): argv, working directory and environment (EnvironmentFile= then
 * Environment=, later ones winning), with paths remapped for a test.
 * @param {string} unitPath
 * @param {{
 *   specifiers: Record<string, string>,
 *   files?: Record<string, string>,
 *   envOverrides?: Record<string, string>
 * }} opts  files: a real path to use instead of each unit path (EnvironmentFile=, WorkingDirectory=, LoadCredential=);
 *          envOverrides: values that win over the environment file's
 */
export function unitCommand (unitPath, { specifiers, files = {}, envOverrides = {} }) {
  const unit = parseUnit(readFileSync(unitPath, 'utf8'))
  const remap = (/** @type {string} */ p) => files[p] ?? p
  /** @type {Record<string, string>} */
  let env = {}
  for (const file of values(unit, 'Service', 'EnvironmentFile')) {
    env = { ...env, ...parseEnvironmentFile(readFileSync(remap(file.replace(/^-/, '')), 'utf8')) }
  }
  for (const assignment of values(unit, 'Service', 'Environment')) {
    for (const { text } of words(assignment)) {
      const eq = text.indexOf('=')
      if (eq > 0) env[text.slice(0, eq)] = text.slice(eq + 1)
    }
  }
  env = { ...env, ...envOverrides }
  const [workingDirectory] = values(unit, 'Service', 'WorkingDirectory')
  return {
    argv: execStartArgv(unit, { env, specifiers }),
    cwd: workingDirectory != null ? remap(workingDirectory) : undefined,
    env,
    credentials: values(unit, 'Service', 'LoadCredential').map(v => {
      const [id = '', path = ''] = v.split(':')
      return { id, path: remap(path) }
    })
  }
}
