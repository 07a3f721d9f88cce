import { describe, expect, it } from 'vitest'
import { base64urlDecode, base64urlEncode, decryptBackup, keyFingerprintDigits, safetyNumber } from '../../core/identity/index.ts'
import { fromHex } from '../../core/bytes.ts'
import { memoryProfileBackend } from '../../storage/memory.ts'
import type { ProfileLock } from './lock.ts'
import { IdentityStore, newIdentityProblem } from './store.ts'

const PASS = 'correct horse battery'
const FAST = { kdfParams: { logN: 10, r: 8, p: 1 }, unsafeAllowWeakKdfForTests: true } as const

function makeStore (now = () => 1_750_000_000_000) {
  const backend = memoryProfileBackend()
  const store = new IdentityStore({ backend, now, appUrl: () => 'https://app.example/', ...FAST })
  return { backend, store }
}

async function ready (name: string, now?: () => number) {
  const s = makeStore(now)
  await s.store.start()
  expect(s.store.getSnapshot().phase).toBe('first-run')
  expect(await s.store.createIdentity(name, PASS, PASS)).toBe(true)
  return s
}

describe('identity store', () => {
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

  it('invite A → B: B sees A\'s name and the same safety number A sees for B; accepting stores a pending contact', async () => {
    const a = await ready('Ann')
    const b = await ready('Bob')
    const linkA = (await a.store.createInvite(['/dns4/relay.example/tcp/443/wss']))!.link
    const linkB = (await b.store.createInvite([]))!.link
    expect(linkA).toMatch(/^https:\/\/app\.example\/#invite=[A-Za-z0-9_-]+$/)

    expect(b.store.receiveInvite(new URL(linkA).hash)).toBe(true)
    expect(a.store.receiveInvite(new URL(linkB).hash)).toBe(true)
    const seenByB = b.store.getSnapshot().incoming
    const seenByA = a.store.getSnapshot().incoming
    expect(seenByB).toMatchObject({ status: 'valid', inviterName: 'Ann', blocker: null })
    expect(seenByA).toMatchObject({ status: 'valid', inviterName: 'Bob', blocker: null })
    if (seenByA?.status !== 'valid' || seenByB?.status !== 'valid') throw new Error('unreachable')
    expect(seenByB.safetyNumber).toMatch(/^\d{60}$/)
    expect(seenByB.safetyNumber).toBe(seenByA.safetyNumber)
    expect(seenByB.safetyNumber).toBe(safetyNumber(fromHex(a.store.getSnapshot().self!.publicKeyHex), fromHex(b.store.getSnapshot().self!.publicKeyHex)))

    expect(await b.store.acceptInvite()).toBe(true)
    const contacts = b.store.getSnapshot().contacts
    expect(contacts).toHaveLength(1)
    expect(contacts[0]).toMatchObject({ displayName: 'Ann', state: 'pending', verified: false, relays: ['/dns4/relay.example/tcp/443/wss'], safetyNumber: seenByB.safetyNumber })
    expect(b.store.getSnapshot().incoming).toBeNull()
    // the same link again: already a contact
    b.store.receiveInvite(new URL(linkA).hash)
    expect(b.store.getSnapshot().incoming).toMatchObject({ blocker: 'already-contact' })
    // own link
    a.store.receiveInvite(new URL(linkA).hash)
    expect(a.store.getSnapshot().incoming).toMatchObject({ blocker: 'own-invite', safetyNumber: null })
  })

  it('a tampered, expired or oversized link is refused with a message and changes nothing', async () => {
    let t = 1_750_000_000_000
    const a = await ready('Ann')
    const b = await ready('Bob', () => t)
    const payload = new URL((await a.store.createInvite([]))!.link).hash.slice('#invite='.length)
    const bytes = base64urlDecode(payload)!
    bytes[30] = (bytes[30] as number) ^ 4
    expect(b.store.receiveInvite('#invite=' + base64urlEncode(bytes))).toBe(true)
    expect(b.store.getSnapshot().incoming).toEqual({ status: 'refused', message: expect.stringMatching(/altered/) })
    expect(await b.store.acceptInvite()).toBe(false)
    expect(b.store.receiveInvite('#invite=' + 'A'.repeat(5000))).toBe(true)
    expect(b.store.getSnapshot().incoming).toEqual({ status: 'refused', message: expect.stringMatching(/too long/) })
    t += 8 * 24 * 3600 * 1000
    b.store.receiveInvite('#invite=' + payload)
    expect(b.store.getSnapshot().incoming).toEqual({ status: 'refused', message: expect.stringMatching(/expired/) })
    expect(b.store.getSnapshot().contacts).toHaveLength(0)
    expect(b.store.receiveInvite('#settings')).toBe(false)
  })

  it('an invite opened before an identity exists waits for one', async () => {
    const a = await ready('Ann')
    const link = (await a.store.createInvite([]))!.link
    const b = makeStore()
    await b.store.start()
    b.store.receiveInvite(new URL(link).hash)
    expect(b.store.getSnapshot().incoming).toMatchObject({ status: 'valid', blocker: 'no-identity', safetyNumber: null })
    await b.store.createIdentity('Bob', PASS, PASS)
    expect(b.store.getSnapshot().incoming).toMatchObject({ status: 'valid', blocker: null })
    expect(await b.store.acceptInvite()).toBe(true)
  })

  it('verified toggle, clear history and delete conversation', async () => {
    const a = await ready('Ann')
    const b = await ready('Bob')
    b.store.receiveInvite(new URL((await a.store.createInvite([]))!.link).hash)
    await b.store.acceptInvite()
    const id = b.store.getSnapshot().contacts[0]!.id
    expect(await b.store.setVerified(id, true)).toBe(true)
    expect(b.store.getSnapshot().contacts[0]!.verified).toBe(true)
    const chat = b.store.chatStore()!
    await chat.putMessage(id, { id: 'm2', direction: 'in', text: 'second', timestamp: 2 })
    await chat.putMessage(id, { id: 'm1', direction: 'out', text: 'first', timestamp: 1 })
    await chat.putMessage('other', { id: 'x', direction: 'out', text: 'elsewhere', timestamp: 1 })
    expect((await chat.listMessages(id)).map(m => m.text)).toEqual(['first', 'second'])
    expect(await b.store.clearHistory(id)).toBe(true)
    expect(await chat.listMessages(id)).toEqual([])
    expect(await chat.listMessages('other')).toHaveLength(1)
    await chat.putMessage(id, { id: 'm3', direction: 'in', text: 'again', timestamp: 3 })
    expect(await b.store.deleteConversation(id)).toBe(true)
    expect(await chat.listMessages(id)).toEqual([])
    expect(b.store.getSnapshot().contacts).toHaveLength(1)
  })

  it('clear history and delete conversation go through the history keeper (chat) when there is one', async () => {
    const a = await ready('Ann')
    const b = await ready('Bob')
    b.store.receiveInvite(new URL((await a.store.createInvite([]))!.link).hash)
    await b.store.acceptInvite()
    const id = b.store.getSnapshot().contacts[0]!.id
    const asked: string[] = []
    b.store.keepHistoryWith({
      clearHistory: async (c) => { asked.push(`clear ${c}`) },
      deleteConversation: async (c) => { asked.push(`delete ${c}`) }
    })
    expect(await b.store.clearHistory(id)).toBe(true)
    expect(await b.store.deleteConversation(id)).toBe(true)
    expect(asked).toEqual([`clear ${id}`, `delete ${id}`])
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
})
