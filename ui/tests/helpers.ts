// Chromium (the system's /usr/bin/chromium, never a downloaded one) at a 360×640 phone size, a
// page of the mock build with a chosen scenario, and small helpers to drive Vant's widgets.
import { afterAll, afterEach, beforeAll, expect, inject } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { MockScenario } from '../src/mock/install';

export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

/** The flags of docs: headless, no sandbox (root in CI), nothing phoning home. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let browser: Browser | undefined;
let contexts: BrowserContext[] = [];
const uncaught = new WeakMap<Page, string[]>();

/** Call once per test file: a browser for its tests, closed after them. */
export function useBrowser() {
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  });
  afterEach(async () => {
    await Promise.all(contexts.map((c) => c.close()));
    contexts = [];
  });
  afterAll(async () => {
    await browser?.close();
  });
}

/**
 * Opens `route` (e.g. `/tasks`) of the mock build with `scenario`, at 360×640 with touch (a
 * phone); `{ desktop: true }` opens it at 1280×800 with a mouse and no touch (a laptop).
 */
export async function open(route: string, scenario: MockScenario = {}, opts: { desktop?: boolean } = {}): Promise<Page> {
  if (!browser) throw new Error('call useBrowser() in the test file');
  const context = await browser.newContext({
    viewport: opts.desktop ? { width: 1280, height: 800 } : { width: 360, height: 640 },
    deviceScaleFactor: 1,
    hasTouch: !opts.desktop,
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
  });
  context.setDefaultTimeout(8000);
  contexts.push(context);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.addInitScript((s) => {
    (window as unknown as { __BANGFU_MOCK__: unknown }).__BANGFU_MOCK__ = s;
  }, scenario);
  await page.goto(`${inject('baseUrl')}#${route}`);
  uncaught.set(page, errors);
  return page;
}

/** The commands the UI invoked so far, with their arguments. */
export async function calls(page: Page): Promise<{ cmd: string; args: any }[]> {
  return page.evaluate(() => (window as unknown as { __BANGFU_CALLS__: { cmd: string; args: unknown }[] }).__BANGFU_CALLS__);
}

export async function callsOf(page: Page, cmd: string) {
  return (await calls(page)).filter((c) => c.cmd === cmd);
}

/** Taps the digits on Vant's number keyboard (a phone: touch events). */
export async function typePin(page: Page, pin: string) {
  for (const digit of pin) {
    await page.locator('.van-number-keyboard .van-key', { hasText: new RegExp(`^${digit}$`) }).first().tap();
  }
}

/** No uncaught error happened in the page. */
export function expectNoPageErrors(page: Page) {
  expect(uncaught.get(page)).toEqual([]);
}

export const HH = (n: number) => `01930000-0000-7000-8000-0000000000${String(n).padStart(2, '0')}`;
