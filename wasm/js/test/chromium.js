// Headless Chromium for the browser test and the Chromium conformance
// target: Debian's /usr/bin/chromium driven by playwright-core (never a
// downloaded browser), with a fresh profile per launch.

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];

/**
 * Returns playwright-core's chromium, or throws with the reason it cannot
 * run here (playwright-core or Chromium missing).
 */
export async function browserType() {
  let pw;
  try {
    pw = await import('playwright-core');
  } catch {
    throw new Error('playwright-core is not installed (scripts/setup-js.sh runs npm ci)');
  }
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing (scripts/setup-js.sh installs chromium)`);
  return pw.chromium;
}

/** Launches headless Chromium with a fresh profile directory; close() removes it. */
export async function launch(chromium, viewport = { width: 1440, height: 1100 }) {
  const profile = mkdtempSync(path.join(tmpdir(), 'portolan-chromium-'));
  // playwright-core passes the profile as --user-data-dir
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport,
  });
  return {
    ctx,
    close: async () => {
      await ctx.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
