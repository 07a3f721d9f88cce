/**
 * Identity, backup, invites, safety numbers and the encrypted store, in real
 * Chromium with one browser context per person (own IndexedDB). The app is
 * opened with `?identity-test-hooks` where a test writes data to the store
 * directly (window.shallotIdentity, see src/app/testing/identity-hooks.ts).
 */
import type { Page } from '@playwright/test'
import { expect, openPeer, test } from './fixtures.ts'
import { inviteLink } from './ui-driver.ts'

const PASS = 'orange tulip 42 harbour'

async function createIdentity (page: Page, name: string, pass = PASS): Promise<void> {
  // by keyboard: type, Tab, type, Tab, type, Enter
  await page.getByLabel('Display name').focus()
  await page.keyboard.type(name)
  await page.keyboard.press('Tab')
  await page.keyboard.type(pass)
  await page.keyboard.press('Tab') // hint is not focusable: next is the repeat field
  await page.keyboard.type(pass)
  await page.keyboard.press('Enter')
  await expect(page.getByRole('status').filter({ hasText: 'Protecting your key' })).toBeVisible()
  await expect(page.getByRole('heading', { name: 'You', exact: true })).toBeVisible({ timeout: 60_000 })
  await expect(page.getByTestId('own-name')).toHaveText(name)
}

async function fingerprint (page: Page): Promise<string> {
  return (await page.getByTestId('own-fingerprint').textContent()) ?? ''
}

async function publicKeyHex (page: Page): Promise<string | null> {
  return await page.evaluate(() => window.shallotIdentity?.publicKeyHex() ?? null)
}

async function makeInvite (page: Page): Promise<string> {
  const link = await inviteLink(page)
  await expect(page.getByRole('img', { name: 'QR code of the invite link' })).toBeVisible()
  return link
}

async function safetyDigits (page: Page, name: string): Promise<string> {
  const fig = page.getByRole('figure', { name: `Safety number with ${name}` })
  await expect(fig).toBeVisible()
  return ((await fig.locator('.safety-number').textContent()) ?? '').replace(/\s/g, '')
}

/** Everything in the profile database, with bytes as hex and CryptoKeys as a marker. */
async function dumpIndexedDb (page: Page): Promise<string> {
  return await page.evaluate(async () => {
    const out: unknown[] = []
    const hex = (b: ArrayBuffer | ArrayBufferView): string => {
      const u = b instanceof ArrayBuffer ? new Uint8Array(b) : new Uint8Array(b.buffer, b.byteOffset, b.byteLength)
      return [...u].map(x => x.toString(16).padStart(2, '0')).join('')
    }
    const plain = (v: unknown): unknown => {
      if (v instanceof CryptoKey) return `[CryptoKey ${v.type} extractable=${String(v.extractable)}]`
      if (v instanceof ArrayBuffer || ArrayBuffer.isView(v)) return hex(v)
      if (Array.isArray(v)) return v.map(plain)
      if (v != null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]))
      return v
    }
    for (const info of await indexedDB.databases()) {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const r = indexedDB.open(info.name!)
        r.onsuccess = () => { resolve(r.result) }
        r.onerror = () => { reject(r.error) }
      })
      for (const store of [...db.objectStoreNames]) {
        const tx = db.transaction(store)
        const [keys, values] = await Promise.all([tx.objectStore(store).getAllKeys(), tx.objectStore(store).getAll()].map(async req =>
          await new Promise<unknown[]>((resolve) => { req.onsuccess = () => { resolve(req.result as unknown[]) } })))
        out.push({ db: info.name, store, keys: plain(keys), values: plain(values) })
      }
      db.close()
    }
    return JSON.stringify(out)
  })
}

test.describe('identity', () => {
  test('create, reload keeps the same key, and the stored keys cannot be exported', async ({ browser }) => {
    const { context, page } = await openPeer(browser, '/?identity-test-hooks')
    await expect(page.getByRole('heading', { name: 'Create a new identity' })).toBeVisible()
    await createIdentity(page, 'Ann')
    const fp = await fingerprint(page)
    const key = await publicKeyHex(page)
    expect(fp).toMatch(/^(\d{5} ){5}\d{5}$/)
    expect(key).toMatch(/^[0-9a-f]{64}$/)

    await page.reload()
    await expect(page.getByTestId('own-name')).toHaveText('Ann')
    expect(await fingerprint(page)).toBe(fp)
    expect(await publicKeyHex(page)).toBe(key)

    const result = await page.evaluate(async () => {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const r = indexedDB.open('shallot-profile')
        r.onsuccess = () => { resolve(r.result) }
        r.onerror = () => { reject(r.error) }
      })
      const get = async (k: string) => await new Promise<CryptoKey>((resolve) => {
        const req = db.transaction('keys').objectStore('keys').get(k)
        req.onsuccess = () => { resolve(req.result as CryptoKey) }
      })
      const out: Record<string, unknown> = {}
      for (const [name, formats] of [['signing', ['pkcs8', 'jwk', 'raw']], ['storage', ['raw', 'jwk']]] as const) {
        const k = await get(name)
        out[`${name}.type`] = `${k.algorithm.name}/${k.type}/${String(k.extractable)}`
        for (const f of formats) {
          out[`${name}.${f}`] = await crypto.subtle.exportKey(f, k).then(() => 'exported', (e: Error) => `rejected:${e.name}`)
        }
      }
      db.close()
      return out
    })
    expect(result).toEqual({
      'signing.type': 'Ed25519/private/false',
      'signing.pkcs8': 'rejected:InvalidAccessError',
      'signing.jwk': 'rejected:InvalidAccessError',
      'signing.raw': 'rejected:InvalidAccessError',
      'storage.type': 'AES-GCM/secret/false',
      'storage.raw': 'rejected:InvalidAccessError',
      'storage.jwk': 'rejected:InvalidAccessError'
    })
    await context.close()
  })

  test('download backup → erase everything → wrong passphrase changes nothing → restore gives the same identity', async ({ browser }) => {
    const { context, page } = await openPeer(browser, '/?identity-test-hooks')
    await createIdentity(page, 'Ann')
    const fp = await fingerprint(page)
    const key = await publicKeyHex(page)

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download backup' }).click()])
    expect(download.suggestedFilename()).toBe('shallot-identity.shallot-backup')
    const file = await download.path()

    // Nuke, after explicit confirmation (cancel first: nothing happens).
    await page.getByRole('button', { name: 'Erase everything…' }).click()
    await expect(page.getByRole('alertdialog')).toContainText('cannot be undone')
    await expect(page.getByRole('button', { name: 'Cancel' })).toBeFocused()
    await page.keyboard.press('Escape')
    await expect(page.getByTestId('own-name')).toHaveText('Ann')
    await page.getByRole('button', { name: 'Erase everything…' }).click()
    await page.getByRole('button', { name: 'Yes, erase everything' }).click()
    await expect(page.getByRole('heading', { name: 'Create a new identity' })).toBeVisible()
    await expect(page.getByRole('status').filter({ hasText: 'Everything was erased' })).toBeVisible()
    const after = await page.evaluate(async () => ({
      caches: (await caches.keys()).length,
      workers: (await navigator.serviceWorker.getRegistrations()).length,
      hasKey: window.shallotIdentity?.publicKeyHex() ?? null
    }))
    expect(after).toEqual({ caches: 0, workers: 0, hasKey: null })
    expect(await dumpIndexedDb(page)).not.toContain('CryptoKey')

    // Wrong passphrase: a clear message, still the first screen, nothing stored.
    await page.getByLabel('Backup file').setInputFiles(file)
    await page.getByLabel('Backup passphrase').fill('not my passphrase')
    await page.getByRole('button', { name: 'Restore identity' }).click()
    await expect(page.getByRole('alert')).toContainText('Wrong passphrase', { timeout: 60_000 })
    await expect(page.getByRole('heading', { name: 'Create a new identity' })).toBeVisible()
    expect(await dumpIndexedDb(page)).not.toContain('CryptoKey')

    // Not a backup: named refusal.
    await page.getByLabel('Backup file').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello world') })
    await page.getByRole('button', { name: 'Restore identity' }).click()
    await expect(page.getByRole('alert')).toContainText('not a Shallot identity backup')

    // The right passphrase restores the same identity; signing works (an invite verifies in another profile).
    await page.getByLabel('Backup file').setInputFiles(file)
    await page.getByLabel('Backup passphrase').fill(PASS)
    await page.getByRole('button', { name: 'Restore identity' }).click()
    await expect(page.getByTestId('own-name')).toHaveText('Ann', { timeout: 60_000 })
    expect(await fingerprint(page)).toBe(fp)
    expect(await publicKeyHex(page)).toBe(key)
    const link = await makeInvite(page)
    const b = await openPeer(browser, '/')
    await b.page.goto(link)
    await expect(b.page.getByTestId('inviter-name')).toHaveText('Ann')
    await b.context.close()
    await context.close()
  })

  test('an invite from A opened in B shows A\'s name and the safety number A sees; accepting adds a pending contact', async ({ browser }) => {
    const a = await openPeer(browser, '/')
    const b = await openPeer(browser, '/')
    await b.page.setViewportSize({ width: 375, height: 740 }) // phone-sized
    await createIdentity(a.page, 'Ann')
    await createIdentity(b.page, 'Bob')

    const linkA = await makeInvite(a.page)
    const linkB = await makeInvite(b.page)
    expect(linkA.length).toBeLessThan(2000)

    await b.page.goto(linkA)
    await expect(b.page.getByTestId('inviter-name')).toHaveText('Ann')
    expect(new URL(b.page.url()).hash).toBe('') // the fragment is cleared once handled
    await a.page.goto(linkB)
    await expect(a.page.getByTestId('inviter-name')).toHaveText('Bob')
    const seenByB = await safetyDigits(b.page, 'Ann')
    const seenByA = await safetyDigits(a.page, 'Bob')
    expect(seenByB).toMatch(/^\d{60}$/)
    expect(seenByB).toBe(seenByA)
    await expect(b.page.getByRole('img', { name: 'QR code of the safety number with Ann' })).toBeVisible()

    await b.page.getByRole('button', { name: 'Add contact' }).click()
    const contact = b.page.getByRole('article', { name: 'Ann' })
    await expect(contact).toContainText('pending')
    await contact.getByRole('button', { name: 'Details for Ann' }).click()
    expect(await safetyDigits(b.page, 'Ann')).toBe(seenByA)
    await contact.getByRole('checkbox', { name: /Verified/ }).check()
    await expect(contact.locator('.badge', { hasText: 'verified' })).toBeVisible()

    // Layout fits a phone: no horizontal scrolling.
    expect(await b.page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true)

    // Survives a reload.
    await b.page.reload()
    await expect(b.page.getByRole('article', { name: 'Ann' })).toContainText('verified')
    await a.context.close()
    await b.context.close()
  })

  test('the invites I made are listed; one revoked shows as revoked, also after a reload', async ({ browser }) => {
    const { context, page } = await openPeer(browser, '/')
    await createIdentity(page, 'Ann')
    await makeInvite(page)
    await makeInvite(page)
    const listed = page.getByTestId('issued-invite')
    await expect(listed).toHaveCount(2)
    await expect(listed.filter({ hasText: 'Active' })).toHaveCount(2)
    await listed.first().getByRole('button', { name: 'Revoke' }).click()
    await expect(page.getByRole('status').filter({ hasText: 'The invite was revoked' })).toBeVisible()
    await expect(listed.filter({ hasText: 'Revoked' })).toHaveCount(1)
    await expect(listed.getByRole('button', { name: 'Revoke' })).toHaveCount(1)
    await page.reload()
    await expect(page.getByTestId('issued-invite').filter({ hasText: 'Revoked' })).toHaveCount(1)
    await expect(page.getByTestId('issued-invite').filter({ hasText: 'Active' })).toHaveCount(1)
    await context.close()
  })

  test('a link with one character changed, an expired, oversized or malformed link is refused and changes nothing', async ({ browser }) => {
    const a = await openPeer(browser, '/')
    const b = await openPeer(browser, '/')
    await createIdentity(a.page, 'Ann')
    await createIdentity(b.page, 'Bob')
    const link = await makeInvite(a.page)
    const at = link.indexOf('#invite=') + '#invite='.length + 40
    const changed = link.slice(0, at) + (link[at] === 'A' ? 'B' : 'A') + link.slice(at + 1)

    await b.page.goto(changed)
    const refused = b.page.getByRole('region', { name: 'Invite link refused' })
    await expect(refused).toContainText('Nothing was changed')
    await expect(b.page.getByRole('button', { name: 'Add contact' })).toHaveCount(0)
    await refused.getByRole('button', { name: 'Dismiss' }).click()

    await b.page.goto('/#invite=' + 'A'.repeat(3000))
    await expect(b.page.getByRole('region', { name: 'Invite link refused' })).toContainText('too long')
    await b.page.goto('/#invite=%%%')
    await expect(b.page.getByRole('region', { name: 'Invite link refused' })).toContainText('damaged')
    await expect(b.page.getByText('No contacts yet')).toBeVisible()

    // Eight days later (the default lifetime is seven), the untouched link has expired.
    const later = await browser.newContext()
    const c = await later.newPage()
    await c.clock.install({ time: Date.now() + 8 * 24 * 3600 * 1000 })
    await c.goto(link)
    await expect(c.getByRole('region', { name: 'Invite link refused' })).toContainText('expired')
    await later.close()
    await a.context.close()
    await b.context.close()
  })

  test('an IndexedDB dump shows no plaintext message, contact name, display name or key bytes', async ({ browser }) => {
    const { context, page } = await openPeer(browser, '/?identity-test-hooks')
    await createIdentity(page, 'Quentin Ownname')
    const ownKey = (await publicKeyHex(page))!
    const contactKey = 'ab'.repeat(32)
    await page.evaluate(async (contactKeyHex) => {
      const s = window.shallotIdentity!.store()!
      const bytes = new Uint8Array(contactKeyHex.match(/../g)!.map(h => parseInt(h, 16)))
      await s.putContact({ id: 'c1', publicKey: bytes, displayName: 'Zebulon Plaintextname', relays: ['/dns4/secret-relay.example/tcp/443/wss'], state: 'pending', verified: false, addedAt: 1 })
      await s.putMessage('c1', { id: 'm1', direction: 'out', text: 'the eagle lands at midnight', timestamp: 1 })
      await s.putMessage('c1', { id: 'm2', direction: 'in', text: 'bring the blue umbrella', timestamp: 2 })
    }, contactKey)
    expect(await page.evaluate(async () => (await window.shallotIdentity!.store()!.listMessages('c1')).map(m => m.text)))
      .toEqual(['the eagle lands at midnight', 'bring the blue umbrella'])
    // An issued invite is kept too (id and secret, docs/IDENTITY.md): sealed like the rest.
    const link = await makeInvite(page)
    const invite = Buffer.from(link.slice(link.indexOf('#invite=') + '#invite='.length), 'base64url')
    const inviteId = invite.subarray(1, 17).toString('hex')
    const inviteSecret = invite.subarray(invite.length - 64 - 32, invite.length - 64).toString('hex')

    const dump = await dumpIndexedDb(page)
    expect(dump, 'invite id').not.toContain(inviteId)
    expect(dump, 'invite secret').not.toContain(inviteSecret)
    expect(dump).toContain('"store":"messages"')
    const toHex = (s: string) => Buffer.from(s).toString('hex')
    for (const secret of ['eagle', 'umbrella', 'Zebulon', 'Plaintextname', 'secret-relay', 'Quentin', 'Ownname']) {
      expect(dump, secret).not.toContain(secret)
      expect(dump, `${secret} as bytes`).not.toContain(toHex(secret))
    }
    expect(dump).not.toContain(ownKey)
    expect(dump).not.toContain(contactKey)

    // Contact view buttons: clear history, then delete conversation.
    await page.reload()
    const contact = page.getByRole('article', { name: 'Zebulon Plaintextname' })
    await contact.getByRole('button', { name: /Details/ }).click()
    await contact.getByRole('button', { name: 'Clear history' }).click()
    await contact.getByRole('button', { name: 'Yes, clear history' }).click()
    await expect(page.getByRole('status').filter({ hasText: 'The history was cleared.' })).toBeVisible()
    expect(await page.evaluate(async () => (await window.shallotIdentity!.store()!.listMessages('c1')).length)).toBe(0)
    await page.evaluate(async () => { await window.shallotIdentity!.store()!.putMessage('c1', { id: 'm3', direction: 'in', text: 'x', timestamp: 3 }) })
    await contact.getByRole('button', { name: 'Delete conversation' }).click()
    await contact.getByRole('button', { name: 'Yes, delete conversation' }).click()
    await expect(page.getByRole('status').filter({ hasText: 'The conversation was deleted.' })).toBeVisible()
    expect(await page.evaluate(async () => (await window.shallotIdentity!.store()!.listMessages('c1')).length)).toBe(0)
    await context.close()
  })

  test('a second tab of the same profile says the identity is open elsewhere, and can take it over', async ({ browser }) => {
    const { context, page } = await openPeer(browser, '/')
    await createIdentity(page, 'Ann')
    const second = await context.newPage()
    await second.goto('/')
    await expect(second.getByRole('status').filter({ hasText: 'open in another tab' })).toBeVisible()
    await second.getByRole('button', { name: 'Use here instead' }).click()
    await expect(second.getByTestId('own-name')).toHaveText('Ann')
    await expect(page.getByRole('status').filter({ hasText: 'open in another tab' })).toBeVisible()
    await second.close()
    // the first tab takes the profile back when the other closes
    await expect(page.getByTestId('own-name')).toHaveText('Ann')
    await context.close()
  })
})
