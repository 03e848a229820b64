import assert from 'node:assert/strict'
import { existsSync, mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'

// What the console's browser tests share: Debian's chromium, headless, one context per page, the
// development sign-in, and screenshots into docs/ when COUNTERSIGN_SCREENSHOTS=1.

const CHROMIUM = process.env['CHROMIUM'] ?? '/usr/bin/chromium'
const SCREENSHOTS = process.env['COUNTERSIGN_SCREENSHOTS'] === '1' ? resolve(import.meta.dirname, '../../docs') : undefined

export const PHONE = { width: 390, height: 844 }
export const DESKTOP = { width: 1440, height: 900 }

/** The `skip` option of a browser test: why it cannot run here, or false. */
export const NO_BROWSER: string | false = existsSync(CHROMIUM) ? false : `no browser at ${CHROMIUM} (apt-get install chromium)`

/** Whether this run writes screenshots (a test may then seed more history for them). */
export const TAKING_SCREENSHOTS = SCREENSHOTS !== undefined

/** A headless chromium whose pages each get their own context (their own cookies). */
export interface ConsoleBrowser {
  /** A new page in a new context, dark, without motion; phone-sized viewports get touch and a 2× screen. */
  open(viewport?: { width: number; height: number }): Promise<Page>
  close(): Promise<void>
}

export async function launchConsoleBrowser(): Promise<ConsoleBrowser> {
  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] })
  const contexts: BrowserContext[] = []
  return {
    open: async (viewport = DESKTOP) => {
      const context = await browser.newContext({ viewport, colorScheme: 'dark', reducedMotion: 'reduce', ...(viewport.width < 600 && { isMobile: true, hasTouch: true, deviceScaleFactor: 2 }) })
      contexts.push(context)
      return context.newPage()
    },
    close: async () => {
      for (const context of contexts) await context.close()
      await browser.close()
    },
  }
}

/** Signs in with the development sign-in (`console.dev_login`) at `origin` as `email` and lands on `path`. */
export async function devSignIn(page: Page, origin: string, email: string, path: string): Promise<void> {
  await page.goto(`${origin}/login?return_to=${encodeURIComponent(path)}`)
  await page.locator('button.person', { hasText: email }).click()
  await page.locator('.who-email', { hasText: email }).waitFor()
  if (new URL(page.url()).pathname !== path) await page.goto(origin + path)
}

/** Writes `docs/<name>` when COUNTERSIGN_SCREENSHOTS=1. */
export async function shoot(page: Page, name: string): Promise<void> {
  if (!SCREENSHOTS) return
  mkdirSync(SCREENSHOTS, { recursive: true })
  await page.screenshot({ path: join(SCREENSHOTS, name), fullPage: false })
}

/** How wide the page is, and the screen. */
export function widths(page: Page): Promise<{ scroll: number; width: number }> {
  return page.evaluate<{ scroll: number; width: number }>('({ scroll: document.documentElement.scrollWidth, width: window.innerWidth })')
}

/** The page is no wider than the screen: nothing to scroll sideways. */
export async function assertNoSideScroll(page: Page, what: string): Promise<void> {
  const { scroll, width } = await widths(page)
  assert.ok(scroll <= width, `${what} at ${width} px scrolls sideways: ${scroll} px wide`)
}
