// The pieces every end-to-end test needs: a WebDriver session on the real app (through
// tauri-driver, which scripts/ci-e2e starts), one data directory per app instance, killing an
// instance with SIGKILL, and small waiting helpers. Everything runs on this machine: the app,
// WebKitWebDriver, the sync server.
//
// Environment (set by scripts/ci-e2e):
//   BANGFU_APP         the built app binary (debug, UI embedded)
//   BANGFU_SERVER_URL  the running bangfu-server (demo county)
//   E2E_WORK           a temporary directory for data directories and files
//   E2E_DRIVER_PORT    tauri-driver's port (4444)

import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { remote } from 'webdriverio';

export const env = {
  app: need('BANGFU_APP'),
  server: need('BANGFU_SERVER_URL'),
  work: need('E2E_WORK'),
  driverPort: Number(process.env.E2E_DRIVER_PORT ?? 4444),
};

function need(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the end-to-end test through scripts/ci-e2e`);
  return v;
}

export const PASSWORD = 'bangfu-demo';

/** A data directory of its own for an app instance. */
export function dataDir(name) {
  return join(env.work, `data-${name}`);
}

/**
 * Starts the app on `dir` (a new process) and opens a WebDriver session on its window. The app
 * gets `--data-dir` on its command line (that is how two instances stay apart, and how
 * `killApp` finds the process) and `--server-url` (prefilled on the enrol screen).
 */
export async function openApp(dir) {
  const browser = await remote({
    hostname: '127.0.0.1',
    port: env.driverPort,
    logLevel: 'warn',
    connectionRetryCount: 0,
    capabilities: {
      browserName: 'wry',
      'wdio:enforceWebDriverClassic': true,
      'tauri:options': {
        application: env.app,
        args: ['--data-dir', dir, '--server-url', env.server],
      },
    },
  });
  await browser.setTimeout({ implicit: 0, script: 60_000 });
  return browser;
}

/** Ends the session (the app quits); a session whose app was killed is ended quietly. */
export async function closeApp(browser) {
  try {
    await browser.deleteSession();
  } catch {
    /* the app is already gone */
  }
}

/** The process id of the app instance running on `dir` (found by its exact --data-dir). */
export function appPid(dir) {
  const found = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let args;
    try {
      args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    const i = args.indexOf('--data-dir');
    if (args[0] === env.app && i > 0 && args[i + 1] === dir) found.push(Number(entry));
  }
  if (found.length !== 1) throw new Error(`expected one app on ${dir}, found ${found.length}`);
  return found[0];
}

/** kill -9 of the app instance on `dir`; waits until it is gone. */
export async function killApp(dir) {
  const pid = appPid(dir);
  process.kill(pid, 'SIGKILL');
  await until(() => {
    try {
      process.kill(pid, 0);
      return false;
    } catch {
      return true;
    }
  }, 10_000, 'the killed app to exit');
  return pid;
}

/** Polls `fn` until it returns a truthy value (returned), or fails after `ms`. */
export async function until(fn, ms, what) {
  const end = Date.now() + ms;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) {
      throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? `: ${last.message}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The element for `selector` once it is displayed. */
export async function shown(browser, selector, ms = 20_000) {
  const el = await browser.$(selector);
  await el.waitForDisplayed({ timeout: ms, timeoutMsg: `${selector} not shown after ${ms} ms` });
  return el;
}

/**
 * Clicks the element for `selector` once it is displayed and enabled, scrolled to the middle of
 * the screen first (WebDriver's own scrolling may leave it under the fixed step buttons).
 */
export async function click(browser, selector, ms = 20_000) {
  const el = await shown(browser, selector, ms);
  // The page's own scrollIntoView (WebDriver wheel actions do not scroll in WebKitGTK).
  await browser.execute((e) => e.scrollIntoView({ block: 'center' }), el);
  await el.waitForClickable({ timeout: ms, timeoutMsg: `${selector} not clickable after ${ms} ms` });
  await el.click();
  return el;
}

/** Replaces the value of the input for `selector`. */
export async function type(browser, selector, text) {
  const el = await shown(browser, selector);
  await el.clearValue();
  await el.setValue(text);
}

/** The current route (hash history: `#/households/…`). */
export async function route(browser) {
  const hash = await browser.execute(() => window.location.hash);
  return hash.replace(/^#/, '');
}

/** Goes to a route of the UI. */
export async function go(browser, path) {
  await browser.execute((p) => {
    window.location.hash = p;
  }, path);
}

/** Calls a command of the app from the page, as the UI does (for checks the UI does not show). */
export async function invoke(browser, cmd, args) {
  const result = await browser.executeAsync(
    (c, a, done) => {
      window.__TAURI_INTERNALS__
        .invoke(c, a)
        .then((v) => {
          if (v instanceof ArrayBuffer) done({ ok: true, bytes: Array.from(new Uint8Array(v)) });
          else done({ ok: true, value: v });
        })
        .catch((e) => done({ ok: false, error: e }));
    },
    cmd,
    args ?? {},
  );
  if (!result.ok) throw new Error(`${cmd} failed: ${JSON.stringify(result.error)}`);
  return result.bytes ? Buffer.from(result.bytes) : result.value;
}

export function sha256(bytes) {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Enters the PIN on the unlock screen (the UI takes a desktop keyboard's digits too). */
export async function unlockWith(browser, pin) {
  await shown(browser, '[data-test=unlock]');
  await browser.keys(pin.split(''));
}
