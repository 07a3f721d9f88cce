/**
 * Accessibility of the screens a person goes through, checked by axe-core
 * (WCAG 2.x A and AA rules) in real Chromium: first run, the main screen
 * (you, contacts, settings, network), an invite, an incoming invite and a
 * conversation. Serious and critical violations fail the test; each is listed
 * with the elements it was found on.
 */
import AxeBuilder from '@axe-core/playwright'
import type { Page } from '@playwright/test'
import { appPath, expect, openPeer, test } from './fixtures.ts'
import { addContact, conversationEntry, createIdentity, inviteFragment } from './ui-driver.ts'

async function violations (page: Page, screen: string): Promise<string[]> {
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze()
  return result.violations
    .filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => `${screen}: ${v.id} (${v.impact ?? ''}) ${v.help} — ${v.nodes.map(n => n.target.join(' ')).slice(0, 5).join(', ')}`)
}

test('the first run, main screen, invite, incoming invite and conversation have no serious accessibility violations', async ({ browser, relay }) => {
  test.setTimeout(180_000)
  const found: string[] = []

  const alice = await openPeer(browser, appPath(relay.address))
  await expect(alice.page.getByLabel('Display name')).toBeVisible()
  found.push(...await violations(alice.page, 'first run'))

  await createIdentity(alice.page, 'Alice')
  found.push(...await violations(alice.page, 'main screen'))

  const fragment = await inviteFragment(alice.page)
  await expect(alice.page.getByRole('img', { name: 'QR code of the invite link' })).toBeVisible()
  found.push(...await violations(alice.page, 'invite'))

  const bob = await openPeer(browser, appPath(relay.address) + fragment)
  await expect(bob.page.getByTestId('inviter-name')).toHaveText('Alice')
  found.push(...await violations(bob.page, 'incoming invite (no identity yet)'))
  await createIdentity(bob.page, 'Bob')
  found.push(...await violations(bob.page, 'incoming invite'))

  await addContact(bob.page)
  await conversationEntry(bob.page, 'Alice').click()
  await expect(bob.page.getByText('Waiting for Alice to accept')).toBeVisible()
  found.push(...await violations(bob.page, 'conversation'))

  expect(found).toEqual([])
  await Promise.all([alice.context.close(), bob.context.close()])
})
