// The browser of the real-browser tests (test/browser/): Debian's chromium, never a downloaded one,
// headless in a throwaway profile.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Fails the suite with how to install it when Debian's chromium is missing. */
export function requireChromium(): void {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}. This test uses Debian's chromium, never a downloaded browser: ` +
        'install it with `apt-get update && apt-get install -y chromium` (or set CHROMIUM_PATH).',
    );
  }
}

export interface OpenBrowser {
  context: BrowserContext;
  page: Page;
  /** Closes the browser and removes its profile. */
  close(): Promise<void>;
}

/** Chromium with a fresh profile and its first page. */
export async function openChromium(options: { viewport?: { width: number; height: number } } = {}): Promise<OpenBrowser> {
  requireChromium();
  const profileDir = mkdtempSync(path.join(tmpdir(), 'specbind-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
      ...options,
    });
    const page = context.pages()[0] ?? (await context.newPage());
    return {
      context,
      page,
      close: async () => {
        await context.close();
        rmSync(profileDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(profileDir, { recursive: true, force: true });
    throw error;
  }
}
