// Debian's chromium driven by playwright-core, as the dashboard tests use it. A missing browser
// fails the launch (and the test): CI installs the `chromium` package.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const LAPTOP = { width: 1366, height: 768 };

const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface Browser {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

/** A headless chromium with a fresh profile, one page at laptop size. */
export async function openBrowser(): Promise<Browser> {
  const profile = await fs.mkdtemp(path.join(os.tmpdir(), 'simsiam-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: LAPTOP,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    async close() {
      await context.close();
      await fs.rm(profile, { recursive: true, force: true });
    },
  };
}

/** Saves a screenshot when UI_SCREENSHOTS names a directory (docs/screenshots for the README). */
export async function screenshot(page: Page, name: string): Promise<void> {
  const dir = process.env.UI_SCREENSHOTS;
  if (!dir) return;
  await fs.mkdir(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `${name}.png`) });
}
