import { describe, expect, it } from 'vitest'
import { kdfOptions, kdfProgress } from './backup.ts'
import { ready, PASS } from './identity.test-util.ts'
import type { IdentitySnapshot } from './types.ts'

describe('backup', () => {
  it('backup → nuke → wrong passphrase changes nothing → right passphrase restores the same identity', async () => {
    const { store, backend } = await ready('Ann')
    const before = store.getSnapshot().self!
    const file = (await store.backupFile())!.bytes
    expect(await store.nuke()).toBe(true)
    expect(store.getSnapshot().phase).toBe('first-run')
    expect(backend.hasIdentity).toBe(false)
    const writes = backend.writes

    expect(await store.restoreFromBackup(file, 'not the passphrase')).toBe(false)
    expect(store.getSnapshot().notice).toMatchObject({ kind: 'error', text: expect.stringMatching(/wrong passphrase/i) })
    expect(store.getSnapshot().phase).toBe('first-run')
    expect(backend.writes).toBe(writes)

    const tampered = file.slice()
    tampered[100] = (tampered[100] as number) ^ 1
    expect(await store.restoreFromBackup(tampered, PASS)).toBe(false)
    expect(store.getSnapshot().notice?.text).toMatch(/damaged or was modified/)
    expect(await store.restoreFromBackup(file.subarray(0, 50), PASS)).toBe(false)
    expect(store.getSnapshot().notice?.text).toMatch(/incomplete/)
    expect(await store.restoreFromBackup(new TextEncoder().encode('hello'), PASS)).toBe(false)
    expect(store.getSnapshot().notice?.text).toMatch(/not a Shallot/)
    expect(backend.writes).toBe(writes)

    expect(await store.restoreFromBackup(file, PASS)).toBe(true)
    const after = store.getSnapshot().self!
    expect(after.publicKeyHex).toBe(before.publicKeyHex)
    expect(after.fingerprint).toBe(before.fingerprint)
    expect(after.displayName).toBe('Ann')
    // signing works with the restored key: an invite it signs verifies
    const inv = await store.createInvite([])
    const { store: other } = await ready('Bob')
    other.receiveInvite(new URL(inv!.link).hash)
    expect(other.getSnapshot().incoming).toMatchObject({ status: 'valid', inviterName: 'Ann' })
  })

  it('restore is refused while an identity exists', async () => {
    const { store } = await ready('Ann')
    const file = (await store.backupFile())!.bytes
    expect(await store.restoreFromBackup(file, PASS)).toBe(false)
  })

  it('key-derivation progress is shown at most once per whole percent, for its task', () => {
    const shown: Array<Partial<IdentitySnapshot>> = []
    const report = kdfProgress((p) => { shown.push(p) }, 'restore')
    for (const f of [0, 0.001, 0.009, 0.01, 0.0199, 0.5, 0.5, 1]) report(f)
    expect(shown).toEqual([0, 0.01, 0.5, 1].map(progress => ({ busy: { task: 'restore', progress } })))
  })

  it('only the test settings given reach the key-derivation function', () => {
    expect(kdfOptions({ backend: null as never })).toEqual({})
    expect(kdfOptions({ backend: null as never, unsafeAllowWeakKdfForTests: false })).toEqual({})
    const params = { logN: 10, r: 8, p: 1 }
    expect(kdfOptions({ backend: null as never, kdfParams: params, unsafeAllowWeakKdfForTests: true })).toEqual({ params, unsafeAllowWeakKdfForTests: true })
  })
})
