import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`); no browser is downloaded. */
export const CHROMIUM = process.env.ROWBACK_CHROMIUM ?? '/usr/bin/chromium';
export const chromiumInstalled = existsSync(CHROMIUM);

/** Flags that keep a headless Chromium from calling home, so any request seen is the page's own. */
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface OpenedPage {
  readonly page: Page;
  /** Console messages of type error, and uncaught page errors. */
  readonly errors: readonly string[];
  /** Every request the page made other than for the file itself (blocked, and recorded here). */
  readonly requests: readonly string[];
  close(): Promise<void>;
}

/**
 * Opens a local HTML file in a fresh headless Chromium (its own --user-data-dir, removed on close).
 * Requests other than the file are aborted and recorded, so a test can assert none left the file.
 */
export async function openInChromium(
  file: string,
  viewport = { width: 1200, height: 900 },
): Promise<OpenedPage> {
  const profile = await mkdtemp(join(tmpdir(), 'rowback-chromium-'));
  let context: BrowserContext | undefined;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: FLAGS,
      viewport,
    });
    const errors: string[] = [];
    const requests: string[] = [];
    const url = `file://${file}`;
    await context.route('**/*', (route) => {
      if (route.request().url() === url) return route.continue();
      requests.push(route.request().url());
      return route.abort();
    });
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url, { waitUntil: 'load' });
    const opened = context;
    return {
      page,
      errors,
      requests,
      close: async () => {
        await opened.close();
        await rm(profile, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await context?.close();
    await rm(profile, { recursive: true, force: true });
    throw error;
  }
}
