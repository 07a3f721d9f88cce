/**
 * Network settings: which bootstrap relays this browser uses and whether it
 * hides its IP address from other tabs. Logic and state only (the UI renders
 * the snapshot and calls the actions); stored sealed in the profile
 * (storage/settings.ts), shared by every tab of this browser profile (a
 * change in one reaches the others through a BroadcastChannel), and applied to
 * the tab's network at once.
 *
 * Why relays are confirmed and never taken from a link: app/config.ts.
 * What "hide my IP" buys and costs: docs/NETWORK.md and the UI's own words.
 */
import type { SettingsBackend } from '../../storage/settings.ts'
import { bootstrapLabel, parseBootstrapAddress } from '../../net/bootstraps.ts'
import type { RelayChoices, ResolvedNetwork } from '../config.ts'
import { ExternalStore } from '../external-store.ts'

/** The stored record (version 1). */
export interface NetworkSettings {
  readonly version: 1
  readonly hideIp: boolean
  readonly addedRelays: readonly string[]
  readonly removedBuiltIns: readonly string[]
}

export const DEFAULT_NETWORK_SETTINGS: NetworkSettings = { version: 1, hideIp: false, addedRelays: [], removedBuiltIns: [] }

/** Most relays a person may add (an invite or a peer record carries at most 8 too). */
export const MAX_ADDED_RELAYS = 8

const RECORD = 'network'

export interface RelayRow {
  readonly address: string
  readonly label: string
  readonly builtIn: boolean
  /** In use (a built-in the person turned off is listed, not active). */
  readonly active: boolean
}

export interface SettingsSnapshot {
  readonly loaded: boolean
  /** Whether settings were ever saved in this browser (false: first run). */
  readonly saved: boolean
  readonly hideIp: boolean
  readonly relays: readonly RelayRow[]
  /** Relays a link suggested, waiting for a yes or no. */
  readonly suggested: ReadonlyArray<{ readonly address: string, readonly label: string }>
  /** The page URL chose the relays (development on this machine): the list below is not in effect. */
  readonly urlControlled: boolean
  readonly notice: { readonly kind: 'error' | 'info', readonly text: string } | null
}

/** What the settings change in the running tab. */
export interface SettingsTarget {
  setBootstraps(list: readonly string[]): void
  setRelayOnly(on: boolean): void
}

export interface SettingsDeps {
  backend: SettingsBackend
  /** The URL's and build's part, resolved for given choices (app/config.ts). */
  resolve(choices: RelayChoices): ResolvedNetwork
  target: SettingsTarget
  /** Tells other tabs of this profile that settings changed, and hears them (BroadcastChannel in the browser). */
  channel?: { post(): void, listen(onChange: () => void): void }
}

/** A stored value that is not a valid record reads as the defaults (never a crash). */
export function parseNetworkSettings (value: unknown): NetworkSettings | null {
  if (value == null || typeof value !== 'object') return null
  const v = value as Partial<Record<keyof NetworkSettings, unknown>>
  const strings = (x: unknown): string[] | null => Array.isArray(x) && x.every(s => typeof s === 'string') ? x : null
  const added = strings(v.addedRelays)
  const removed = strings(v.removedBuiltIns)
  if (v.version !== 1 || typeof v.hideIp !== 'boolean' || added == null || removed == null) return null
  return { version: 1, hideIp: v.hideIp, addedRelays: added.slice(0, MAX_ADDED_RELAYS), removedBuiltIns: removed }
}

export class SettingsStore {
  private settings: NetworkSettings = DEFAULT_NETWORK_SETTINGS
  private saved = false
  private loaded = false
  private suggested: string[]
  private notice: SettingsSnapshot['notice'] = null
  private readonly view: ExternalStore<SettingsSnapshot>

  constructor (private readonly deps: SettingsDeps) {
    this.suggested = [...deps.resolve({ added: [], removedBuiltIns: [] }).suggested]
    this.view = new ExternalStore(this.build())
    deps.channel?.listen(() => { void this.load() })
  }

  // Arrows, not field copies of view's: view is made in the constructor, after the fields.
  readonly subscribe = (listener: () => void): (() => void) => this.view.subscribe(listener)
  readonly getSnapshot = (): SettingsSnapshot => this.view.getSnapshot()

  /** Read the stored settings and apply them (before the network starts, and when another tab changed them). */
  async load (): Promise<void> {
    let stored: NetworkSettings | null = null
    try {
      stored = parseNetworkSettings(await this.deps.backend.load(RECORD))
    } catch {
      this.notice = { kind: 'error', text: 'Your settings could not be read; the defaults are in use.' }
    }
    this.settings = stored ?? DEFAULT_NETWORK_SETTINGS
    this.saved = stored != null
    this.loaded = true
    this.suggested = this.suggested.filter(a => !this.settings.addedRelays.includes(a))
    this.apply()
  }

  /** "Hide my IP address from other tabs". */
  async setHideIp (on: boolean): Promise<void> {
    await this.change({ ...this.settings, hideIp: on }, on ? 'Your IP address is now hidden from other tabs: every connection goes through a TURN server.' : 'Connections may now be direct again.')
  }

  async addRelay (text: string): Promise<boolean> {
    let address: string
    try {
      address = parseBootstrapAddress(text)
    } catch (err) {
      this.say('error', `That relay address can't be used: ${(err as Error).message}.`)
      return false
    }
    const s = this.settings
    const builtIn = this.builtIns().includes(address)
    if (builtIn) return await this.restoreRelay(address)
    if (s.addedRelays.includes(address)) {
      this.say('info', 'That relay is already in your list.')
      return false
    }
    if (s.addedRelays.length >= MAX_ADDED_RELAYS) {
      this.say('error', `At most ${MAX_ADDED_RELAYS} relays can be added.`)
      return false
    }
    this.suggested = this.suggested.filter(a => a !== address)
    await this.change({ ...s, addedRelays: [...s.addedRelays, address] }, `Relay ${bootstrapLabel(address)} added.`)
    return true
  }

  async removeRelay (address: string): Promise<void> {
    const s = this.settings
    const activeCount = this.rows().filter(r => r.active).length
    const row = this.rows().find(r => r.address === address)
    if (row == null) return
    if (row.active && activeCount <= 1) {
      this.say('error', 'Keep at least one relay: without one, this tab can\'t meet anyone new.')
      return
    }
    const next = row.builtIn
      ? { ...s, removedBuiltIns: [...s.removedBuiltIns, address] }
      : { ...s, addedRelays: s.addedRelays.filter(a => a !== address) }
    await this.change(next, `Relay ${row.label} removed.`)
  }

  /** Turn a built-in relay back on. */
  async restoreRelay (address: string): Promise<boolean> {
    const s = this.settings
    if (!s.removedBuiltIns.includes(address)) return false
    await this.change({ ...s, removedBuiltIns: s.removedBuiltIns.filter(a => a !== address) }, `Relay ${bootstrapLabel(address)} is in use again.`)
    return true
  }

  /** The person confirmed a relay a link suggested. */
  async acceptSuggested (address: string): Promise<void> {
    if (!this.suggested.includes(address)) return
    await this.addRelay(address)
  }

  dismissSuggested (address: string): void {
    this.suggested = this.suggested.filter(a => a !== address)
    this.publish()
  }

  dismissNotice (): void {
    this.notice = null
    this.publish()
  }

  private async change (next: NetworkSettings, confirmation: string): Promise<void> {
    const before = this.settings
    this.settings = next
    this.apply()
    try {
      await this.deps.backend.save(RECORD, next)
      this.saved = true
      this.deps.channel?.post()
      this.say('info', confirmation)
    } catch {
      this.settings = before
      this.apply()
      this.say('error', 'The setting could not be saved; nothing changed.')
    }
  }

  private apply (): void {
    this.deps.target.setRelayOnly(this.settings.hideIp)
    this.deps.target.setBootstraps(this.deps.resolve(this.choices()).config.bootstraps)
    this.publish()
  }

  private choices (): RelayChoices {
    return { added: this.settings.addedRelays, removedBuiltIns: this.settings.removedBuiltIns }
  }

  private builtIns (): readonly string[] {
    return this.deps.resolve(this.choices()).builtIns
  }

  private rows (): RelayRow[] {
    const s = this.settings
    return [
      ...this.builtIns().map(a => ({ address: a, label: bootstrapLabel(a), builtIn: true, active: !s.removedBuiltIns.includes(a) })),
      ...s.addedRelays.map(a => ({ address: a, label: bootstrapLabel(a), builtIn: false, active: true }))
    ]
  }

  private say (kind: 'error' | 'info', text: string): void {
    this.notice = { kind, text }
    this.publish()
  }

  private build (): SettingsSnapshot {
    const resolved = this.deps.resolve(this.choices())
    const listed = this.rows().filter(r => r.active).map(r => r.address)
    return {
      loaded: this.loaded,
      saved: this.saved,
      hideIp: this.settings.hideIp,
      relays: this.rows(),
      suggested: this.suggested.map(a => ({ address: a, label: bootstrapLabel(a) })),
      urlControlled: resolved.config.bootstraps.join() !== listed.join(),
      notice: this.notice
    }
  }

  private publish (): void {
    this.view.set(this.build())
  }
}
