/**
 * Headless Chromium for the browser tests (`npm run test:browser`): Debian's `chromium` package
 * (or `CHROMIUM_PATH`), driven by playwright-core, which downloads no browser of its own.
 */
import { existsSync } from 'node:fs'
import { chromium, type Browser } from 'playwright-core'

/** Where the system Chromium is: `CHROMIUM_PATH`, else the Debian package's binary. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/**
 * Launches headless Chromium and closes it when test `t` ends. The flags keep it off the network
 * (no background fetches, updates or sync: this machine has no internet) and let it run as root.
 * @throws when the binary is missing (`npm run test:browser`'s pretest installs it)
 */
export async function launchBrowser(t: { teardown: (fn: () => Promise<void>) => void }): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium, or set CHROMIUM_PATH`)
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
  })
  t.teardown(() => browser.close())
  return browser
}
