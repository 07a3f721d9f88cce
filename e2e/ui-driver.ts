/**
 * Driving the app as a person does: create an identity, make and open an
 * invite, add a contact, accept, write, read. It uses only what is on screen.
 *
 * One driver for the e2e tests (e2e/, e2e-net/) and the bench
 * (scripts/lib/bench-chat.mjs, plain Node, which loads this file through tsx).
 * Waits are explicit: outside Playwright's test runner expect() waits 5 s
 * unless told, inside it the config's 30 s.
 */
import { expect, type Locator, type Page } from '@playwright/test'

export const PASSPHRASE = 'orange tulip 42 harbour'

/** playwright.config.ts's expect timeout, given to every wait that had no other. */
const WAIT_MS = 30_000

export async function createIdentity (page: Page, name: string, pass = PASSPHRASE): Promise<void> {
  await page.getByLabel('Display name').fill(name)
  await page.getByLabel('Passphrase', { exact: true }).fill(pass)
  await page.getByLabel(/Repeat/).fill(pass)
  await page.getByRole('button', { name: 'Create identity' }).click()
  await expect(page.getByTestId('own-name')).toHaveText(name, { timeout: 60_000 })
}

/** Make an invite and return the whole link. */
export async function inviteLink (page: Page): Promise<string> {
  await page.getByRole('button', { name: 'Invite someone' }).click()
  const input = page.getByLabel('Invite link')
  await expect(input).toHaveValue(/#invite=[A-Za-z0-9_-]+$/, { timeout: WAIT_MS })
  return await input.inputValue()
}

/** Make an invite and return its fragment ("#invite=…"), to open on any origin. */
export async function inviteFragment (page: Page): Promise<string> {
  const link = await inviteLink(page)
  return link.slice(link.indexOf('#invite='))
}

/** "Add contact" on the invite this page was opened with. */
export async function addContact (page: Page, options: { timeout?: number } = {}): Promise<void> {
  await page.getByRole('button', { name: 'Add contact' }).click(options)
}

/** A conversation's entry in the list (its accessible name starts with the contact's name). */
export function conversationEntry (page: Page, name: string): Locator {
  return page.getByRole('button', { name: new RegExp(`^${name}`) })
}

/** Accept the chat request in the open conversation. */
export async function acceptRequest (page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Accept' }).click()
}

/** Wait until the open conversation no longer waits for `inviterName` to accept. */
export async function waitAccepted (page: Page, inviterName: string, timeout = 90_000): Promise<void> {
  await expect(page.getByText(`Waiting for ${inviterName} to accept`)).toHaveCount(0, { timeout })
}

/** The invitee (already on the invite link, with an identity) adds the inviter; the inviter accepts. */
export async function addAndAccept (invitee: Page, inviter: Page, inviteeName: string, inviterName: string): Promise<void> {
  await addContact(invitee)
  await expect(conversationEntry(invitee, inviterName)).toBeVisible({ timeout: WAIT_MS })
  await conversationEntry(inviter, inviteeName).click({ timeout: 120_000 })
  await acceptRequest(inviter)
  await conversationEntry(invitee, inviterName).click()
  await waitAccepted(invitee, inviterName)
}

/** Write `text` in the open conversation and press Enter; resolves once the box is empty again (sent). */
export async function send (page: Page, text: string): Promise<void> {
  const box = page.getByLabel('Message', { exact: true })
  await box.fill(text)
  await box.press('Enter')
  // Read every 20 ms rather than through expect() (100 ms and more between tries): the bench sends on a schedule.
  const deadline = Date.now() + WAIT_MS
  while ((await box.inputValue()) !== '') {
    if (Date.now() > deadline) throw new Error(`the message box still holds the text ${WAIT_MS / 1000} s after Enter`)
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}

/** The open conversation's messages one way, as list items (data-direction, data-delivery; .msg-text). */
export function messages (page: Page, direction: 'in' | 'out'): Locator {
  return page.getByRole('list', { name: 'Messages' }).locator(`li[data-direction="${direction}"]`)
}

/** The delivery marks of outgoing messages that were delivered (one per message). */
export function delivered (page: Page): Locator {
  return messages(page, 'out').locator('.delivery[data-delivery="delivered"]')
}

/** The Network panel's rows of direct WebRTC peers (data-pings, data-opened-at, data-path; Ping and Disconnect buttons). */
export function directPeerRows (page: Page): Locator {
  return page.locator('table[aria-label="Connected peers"] tr[data-peer-kind="direct-webrtc"]')
}

/** The status line at the top: a region named "Network status". */
export function networkStatus (page: Page): Locator {
  return page.getByLabel('Network status')
}
