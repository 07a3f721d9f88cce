import { describe, expect, it } from 'vitest'
import { ready, PASS } from './identity.test-util.ts'

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
})
