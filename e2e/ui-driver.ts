/**
 * Driving the app as a person does: create an identity, make and open an
 * invite, add a contact, accept, write, read. Shared by the e2e tests that
 * need it (e2e/, e2e-net/); it uses only what is on screen.
 */
import { expect, type Locator, type Page } from '@playwright/test'

export const PASSPHRASE = 'orange tulip 42 harbour'

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
  await expect(input).toHaveValue(/#invite=[A-Za-z0-9_-]+$/)
  return await input.inputValue()
}

/** The invitee (already on the invite link, with an identity) adds the inviter; the inviter accepts. */
export async function addAndAccept (invitee: Page, inviter: Page, inviteeName: string, inviterName: string): Promise<void> {
  await invitee.getByRole('button', { name: 'Add contact' }).click()
  await expect(invitee.getByRole('button', { name: new RegExp(`^${inviterName}`) })).toBeVisible()
  await inviter.getByRole('button', { name: new RegExp(`^${inviteeName}`) }).click({ timeout: 120_000 })
  await inviter.getByRole('button', { name: 'Accept' }).click()
  await invitee.getByRole('button', { name: new RegExp(`^${inviterName}`) }).click()
  await expect(invitee.getByText(`Waiting for ${inviterName} to accept`)).toHaveCount(0, { timeout: 90_000 })
}

export async function send (page: Page, text: string): Promise<void> {
  const box = page.getByLabel('Message', { exact: true })
  await box.fill(text)
  await box.press('Enter')
  await expect(box).toHaveValue('')
}

export function messages (page: Page, direction: 'in' | 'out'): Locator {
  return page.getByRole('list', { name: 'Messages' }).locator(`li[data-direction="${direction}"]`)
}

export function delivered (page: Page): Locator {
  return messages(page, 'out').locator('.delivery[data-delivery="delivered"]')
}

export function networkStatus (page: Page): Locator {
  return page.getByLabel('Network status')
}
