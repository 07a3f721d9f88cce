import { CONTENT_SECURITY_POLICY } from '../vite.config.ts'
import { expect, test } from './fixtures.ts'

test('the built app is an installable PWA that opens offline', async ({ browser }) => {
  const context = await browser.newContext()
  const page = await context.newPage()
  // No bootstrap configured: this test is about the app shell only.
  await page.goto('/')
  await expect(page.getByRole('heading', { name: 'Shallot', level: 1 })).toBeVisible()

  // Manifest: name, standalone display, start URL, theme colour, icons at the standard sizes, all loadable.
  const manifestHref = await page.locator('link[rel="manifest"]').getAttribute('href')
  expect(manifestHref).not.toBeNull()
  const manifest = await (await page.request.get(manifestHref!)).json() as { name: string, display: string, start_url: string, theme_color: string, icons: Array<{ src: string, sizes: string, purpose?: string }> }
  expect(manifest).toMatchObject({ name: 'Shallot', display: 'standalone', start_url: '/' })
  expect(manifest.theme_color).toMatch(/^#[0-9a-f]{6}$/i)
  expect(manifest.icons.map(i => i.sizes)).toEqual(expect.arrayContaining(['192x192', '512x512']))
  expect(manifest.icons.some(i => i.purpose === 'maskable')).toBe(true)
  for (const icon of manifest.icons) {
    const res = await page.request.get(`/${icon.src}`)
    expect(res.ok(), icon.src).toBe(true)
    expect(res.headers()['content-type']).toContain('image/png')
  }

  // Content-Security-Policy is in the built page.
  expect(await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content')).toBe(CONTENT_SECURITY_POLICY)

  // The service worker installs and precaches the shell.
  await page.waitForFunction(async () => (await navigator.serviceWorker.ready).active?.state === 'activated', null, { timeout: 30_000 })
  await expect(page.getByRole('status', { name: 'App update' })).toContainText('can now open without a connection')

  // Cut the network and reload: the shell comes from the cache, and says it is offline.
  await context.setOffline(true)
  await page.reload()
  await expect(page.getByRole('heading', { name: 'Shallot', level: 1 })).toBeVisible()
  await expect(page.getByRole('region', { name: 'Network status' })).toContainText("You're offline")
  await context.close()
})
