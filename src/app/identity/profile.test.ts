import { describe, expect, it } from 'vitest'
import { decryptBackup, keyFingerprintDigits } from '../../core/identity/index.ts'
import { fromHex } from '../../core/bytes.ts'
import { memoryProfileBackend } from '../../storage/memory.ts'
import { FAST, makeStore, PASS, ready } from './identity.test-util.ts'
import type { ProfileLock } from './lock.ts'
import { IdentityStore, newIdentityProblem } from './store.ts'

describe('profile lifecycle', () => {
  it('validates name and passphrase', () => {
    expect(newIdentityProblem('', PASS, PASS)).toMatch(/name/)
    expect(newIdentityProblem('A\u0000', PASS, PASS)).toMatch(/name/)
    expect(newIdentityProblem('Ann', 'short', 'short')).toMatch(/at least/)
    expect(newIdentityProblem('Ann', PASS, PASS + 'x')).toMatch(/do not match/)
    expect(newIdentityProblem('Ann', PASS, PASS)).toBeNull()
  })

  it('create reports progress, then shows the identity; the stored backup opens with the passphrase', async () => {
    const { store } = makeStore()
    await store.start()
    const seen: number[] = []
    store.subscribe(() => { const b = store.getSnapshot().busy; if (b?.progress != null) seen.push(b.progress) })
    expect(await store.createIdentity('  Ann  ', PASS, PASS)).toBe(true)
    expect(seen.length).toBeGreaterThan(1)
    const snap = store.getSnapshot()
    expect(snap.phase).toBe('ready')
    expect(snap.busy).toBeNull()
    expect(snap.self?.displayName).toBe('Ann')
    expect(snap.self?.fingerprint).toBe(keyFingerprintDigits(fromHex(snap.self!.publicKeyHex)))
    const file = await store.backupFile()
    const back = await decryptBackup(file!.bytes, PASS, { unsafeAllowWeakKdfForTests: true })
    expect(back.displayName).toBe('Ann')
    expect(Buffer.from(back.publicKey).toString('hex')).toBe(snap.self?.publicKeyHex)
  })

  it('with the profile open in another tab: waits, "Use here" steals, losing the lock closes the profile', async () => {
    let lose: (() => void) | null = null
    let acquiredFromLine: (() => void) | null = null
    const lock: ProfileLock = {
      async acquire ({ steal, onLost }) { if (steal) { lose = onLost; return true } return false },
      waitInLine (onAcquired) { acquiredFromLine = onAcquired; return () => { acquiredFromLine = null } }
    }
    const backend = memoryProfileBackend()
    const store = new IdentityStore({ backend, lock, ...FAST })
    await store.start()
    expect(store.getSnapshot().phase).toBe('open-elsewhere')
    expect(acquiredFromLine).not.toBeNull()
    await store.useHere()
    expect(acquiredFromLine).toBeNull()
    expect(store.getSnapshot().phase).toBe('first-run')
    await store.createIdentity('Ann', PASS, PASS)
    expect(store.getSnapshot().phase).toBe('ready')
    lose!()
    expect(store.getSnapshot()).toMatchObject({ phase: 'open-elsewhere', self: null })
    expect(store.chatStore()).toBeNull()
  })

  it('a saved identity that cannot be opened shows the failure, not the first screen', async () => {
    const backend = { ...memoryProfileBackend(), open: async () => { throw new Error('IndexedDB broken') } }
    const store = new IdentityStore({ backend, ...FAST })
    await store.start()
    expect(store.getSnapshot()).toMatchObject({ phase: 'failed', notice: { kind: 'error', area: 'first-run', text: 'Your saved identity could not be opened in this browser.' } })
  })

  it('erasing that fails says so and opens the profile again', async () => {
    const { store, backend } = await ready('Ann')
    const self = store.getSnapshot().self
    backend.wipe = async () => { throw new Error('blocked by another tab') }
    expect(await store.nuke()).toBe(false)
    expect(store.getSnapshot()).toMatchObject({ phase: 'ready', self, busy: null, notice: { kind: 'error', area: 'you', text: 'Erasing failed. Close other Shallot tabs and try again.' } })
    expect(store.chatStore()).not.toBeNull()
  })
})

