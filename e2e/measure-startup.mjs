// Cold start of the real app to a usable household list, on a store holding a whole county
// (scripts/measure-startup prepares it and runs this). Each run starts a new app process on the
// same data directory; times come from the app's process start (/proc) and the page's clock.
//
// Printed per run (JSON, milliseconds):
//   to_unlock   process start → the PIN pad is on screen
//   unlock_to_list  PIN entered → the first rows of 我的帮扶户 are rendered (argon2 check, the
//                 paged list query, rendering)
//   start_to_list   to_unlock + unlock_to_list: cold start to a usable list, without the time a
//                 person takes to type the PIN
//   list_to_tasks   then 我的任务 (the rules engine over everything the account sees)
// and the median of the runs.

import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { appPid, closeApp, dataDir, go, openApp, until } from './lib/harness.mjs';

const RUNS = Number(process.env.RUNS ?? 5);
const PIN = process.env.PIN ?? '135790';
const dir = dataDir('county');
const ticksPerSecond = Number(execSync('getconf CLK_TCK').toString().trim()) || 100;

/** When process `pid` started, in ms since the epoch (10 ms resolution). */
function processStartMs(pid) {
  const uptimeS = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
  const bootMs = Date.now() - uptimeS * 1000;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const startTicks = Number(fields[19]); // field 22 of stat: starttime
  return bootMs + (startTicks * 1000) / ticksPerSecond;
}

/** The page's clock when `selector` first matches (checked every 5 ms inside the page). */
async function seenAt(browser, selector, ms = 120_000) {
  const t = await browser.executeAsync(
    (sel, limit, done) => {
      const t0 = Date.now();
      const tick = () => {
        if (document.querySelector(sel)) done(Date.now());
        else if (Date.now() - t0 > limit) done(null);
        else setTimeout(tick, 5);
      };
      tick();
    },
    selector,
    ms,
  );
  if (t === null) throw new Error(`${selector} did not appear in ${ms} ms`);
  return t;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = [];
for (let run = 1; run <= RUNS; run++) {
  const browser = await openApp(dir);
  try {
    const started = processStartMs(appPid(dir));
    // The app's own document is up once its root element exists.
    await until(
      async () => browser.execute(() => !!document.querySelector('#app')),
      60_000,
      'the app page',
    );
    const unlockShown = await seenAt(browser, '[data-test=pin-input]');
    await go(browser, '/households'); // after the PIN: the household list
    await until(
      async () => (await browser.execute(() => window.location.hash)).includes('next=/households'),
      10_000,
      'the unlock screen to lead to the list',
    );
    const pinAt = await browser.execute(() => Date.now());
    await browser.keys(PIN.split(''));
    const listShown = await seenAt(browser, '[data-test=household]');
    const total = await browser.$('[data-test=total]').getText();
    await go(browser, '/tasks');
    const tasksShown = await seenAt(browser, '[data-test=count-overdue]');
    const r = {
      run,
      to_unlock: Math.round(unlockShown - started),
      unlock_to_list: listShown - pinAt,
      start_to_list: Math.round(unlockShown - started) + (listShown - pinAt),
      list_to_tasks: tasksShown - listShown,
      list: total,
    };
    results.push(r);
    console.log(JSON.stringify(r));
  } finally {
    await closeApp(browser);
  }
}
const summary = { runs: RUNS };
for (const k of ['to_unlock', 'unlock_to_list', 'start_to_list', 'list_to_tasks']) {
  summary[`${k}_median`] = median(results.map((r) => r[k]));
}
summary.first_start_to_list = results[0]?.start_to_list;
console.log(JSON.stringify(summary));
