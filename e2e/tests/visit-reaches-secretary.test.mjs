// The field app end to end: two instances of the real app (each its own data directory), a real
// bangfu-server holding the demo county.
//
// 1. The first secretary (shuji) enrols and syncs: her village's households arrive.
// 2. The cadre (ganbu) enrols with a PIN, syncs, opens one of her households in that village and
//    starts a visit: checks answered, a housing risk with a note. The app is killed (SIGKILL)
//    in the middle of the visit; restarted and unlocked with the PIN, everything entered is
//    still there. She finishes the visit (a camera photo on the file input, the household's
//    signature) and syncs: the visit, the photo and the signature reach the server.
// 3. The first secretary unlocks, syncs, and sees the visit with its note, the housing alert in
//    我的任务, and the photo as a thumbnail in the household's timeline (its bytes come from the
//    server; it renders).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  PASSWORD,
  click,
  closeApp,
  dataDir,
  env,
  go,
  invoke,
  killApp,
  openApp,
  route,
  sha256,
  shown,
  type,
  unlockWith,
  until,
} from '../lib/harness.mjs';

const PIN = '135790';
const NOTE = '屋顶漏雨，东墙开裂，需尽快维修';
const PROBLEMS = '雨季房屋漏雨，老人居住不安全';
const PHOTO = join(env.work, 'photo.jpg'); // written by scripts/ci-e2e (a 3000×2000 camera JPEG)
const SHOTS = join(env.work, 'screens');

const shujiDir = dataDir('shuji');
const ganbuDir = dataDir('ganbu');
let browser = null;

before(() => mkdirSync(SHOTS, { recursive: true }));
after(async () => {
  if (browser) await closeApp(browser);
});

/** A screenshot for whoever reads a failure (two frames later: WebKit may show the last one). */
async function shot(name) {
  if (!browser) return;
  try {
    await browser.executeAsync((done) => requestAnimationFrame(() => requestAnimationFrame(() => done())));
    await browser.saveScreenshot(join(SHOTS, `${name}.png`));
  } catch {
    /* not worth failing for */
  }
}

async function step(name, fn) {
  try {
    await fn();
  } catch (e) {
    await shot(`failed-${name}`);
    throw e;
  }
}

async function enrol(username) {
  await shown(browser, '[data-test=enrol]');
  // The shell's --server-url prefills the address.
  await until(
    async () => (await browser.$('input[name=server_url]').getValue()) === env.server,
    10_000,
    'the server address to be prefilled',
  );
  await type(browser, 'input[name=username]', username);
  await type(browser, 'input[name=password]', PASSWORD);
  await type(browser, 'input[name=pin]', PIN);
  await type(browser, 'input[name=pin2]', PIN);
  await click(browser, '[data-test=enrol-submit]');
  // The server here is plain http on loopback: once enrolled, the app says so in a dialog the
  // user acknowledges (「未加密连接，仅限内网使用」).
  await shown(browser, '.van-dialog__confirm', 30_000);
  const warning = await browser.$('.van-dialog__message').getText();
  assert.match(warning, /未加密连接/);
  await click(browser, '.van-dialog__confirm');
  // No records yet: the app sends the user to 同步.
  await shown(browser, '[data-test=sync]', 30_000);
}

async function syncNow() {
  await go(browser, '/sync');
  await click(browser, '[data-test=sync-now]');
  await shown(browser, '[data-test=sync-done]', 120_000);
  const status = await invoke(browser, 'sync_status');
  assert.equal(status.last_sync.ok, true, JSON.stringify(status.last_sync));
  return status;
}

async function households() {
  const list = await invoke(browser, 'my_households', {
    req: { search: null, page: 0, page_size: 100 },
  });
  return list.items;
}

async function openVisit(hid) {
  await go(browser, `/households/${hid}`);
  await click(browser, '[data-test=start-visit]');
  await shown(browser, '[data-test=visit] .van-steps');
}

async function draft(hid) {
  return invoke(browser, 'draft_get', { req: { household_id: hid } });
}

let village = [];
let hid = null;
let headName = '';
let photoSha = '';

test('the first secretary enrols and receives her village', async () => {
  browser = await openApp(shujiDir);
  await step('shuji-enrol', async () => {
    await enrol('shuji');
    await syncNow();
    await go(browser, '/households');
    await shown(browser, '[data-test=household]');
    village = (await households()).map((h) => h.id);
    assert.ok(village.length > 0);
  });
  await closeApp(browser);
  browser = null;
});

test('the cadre starts a visit, the app is killed, nothing entered is lost', async () => {
  browser = await openApp(ganbuDir);
  await step('ganbu-start', async () => {
    await enrol('ganbu');
    await syncNow();
    const mine = await households();
    const row = mine.find((h) => village.includes(h.id));
    assert.ok(row, 'one of her households is in the secretary village');
    hid = row.id;
    headName = row.head_name;
    // Through the list, as a cadre would.
    await go(browser, '/households');
    await shown(browser, '[data-test=household]');
    await openVisit(hid);
    // Step 1: who is present (the first member, if the household lists any).
    await shown(browser, '[data-test=step-present]');
    const members = await browser.$$('[data-test=step-present] .van-checkbox');
    if (members.length) await members[0].click();
    await click(browser, '[data-test=next]');
    // Step 2: the four checks; housing at risk, with a note.
    await shown(browser, '[data-test=step-checks]');
    for (const item of ['education', 'medical', 'water']) await click(browser, `[data-test=check-${item}-ok]`);
    await click(browser, '[data-test=check-housing-risk]');
    await type(browser, '[data-test=check-housing-note] textarea', NOTE);
    // Saved on the phone (a pause in typing saves): wait until the stored draft has it all.
    await until(
      async () => {
        const d = await draft(hid);
        return (
          d &&
          d.step === 1 &&
          d.checks.housing.status === 'risk' &&
          d.checks.housing.note === NOTE &&
          d.checks.water.status === 'ok'
        );
      },
      10_000,
      'the draft to be saved',
    );
  });
  await shot('ganbu-before-kill');

  // kill -9 in the middle of the visit.
  await killApp(ganbuDir);
  await closeApp(browser);
  browser = null;

  browser = await openApp(ganbuDir);
  await step('ganbu-after-kill', async () => {
    await unlockWith(browser, PIN);
    await until(async () => (await route(browser)) === '/tasks', 20_000, 'the task list after unlocking');
    await go(browser, '/households');
    const badge = await shown(browser, '[data-test=household] [data-test=draft]');
    assert.ok(badge, 'the list shows the open draft');
    await openVisit(hid);
    // The flow reopens on the step she was on, with what she entered.
    await shown(browser, '[data-test=step-checks]');
    const note = await browser.$('[data-test=check-housing-note] textarea').getValue();
    assert.equal(note, NOTE);
    const checked = await browser.execute(() =>
      ['education', 'medical', 'housing', 'water'].map((i) =>
        [...document.querySelectorAll(`[data-test=check-${i}] .van-radio`)]
          .filter((r) => r.getAttribute('aria-checked') === 'true')
          .map((r) => r.getAttribute('data-test')),
      ),
    );
    assert.deepEqual(checked, [
      ['check-education-ok'],
      ['check-medical-ok'],
      ['check-housing-risk'],
      ['check-water-ok'],
    ]);
  });
});

test('the cadre finishes the visit with a photo and a signature and syncs', async () => {
  await step('ganbu-finish', async () => {
    await click(browser, '[data-test=next]'); // → policy
    await click(browser, '[data-test=next]'); // → tidiness
    await click(browser, '[data-test=next]'); // → problems
    await type(browser, '[data-test=problems] textarea', PROBLEMS);
    await click(browser, '[data-test=next]'); // → photos
    await shown(browser, '[data-test=step-photos]');
    // The camera's photo, set on the file input (a phone's camera fills the same input).
    const input = await browser.$('[data-test=photo-input] input[type=file]');
    await input.setValue(PHOTO);
    await shown(browser, '[data-test=photo] img', 60_000);
    const d = await until(async () => {
      const x = await draft(hid);
      return x && x.photos.length === 1 ? x : null;
    }, 30_000, 'the photo in the draft');
    photoSha = d.photos[0].sha256;
    // Intake kept a shrunk, re-encoded JPEG, named by its hash.
    const kept = await invoke(browser, 'photo_bytes', { req: { sha256: photoSha } });
    assert.equal(sha256(kept), photoSha);
    assert.ok(kept.length < readFileSync(PHOTO).length, 'shrunk');
    await click(browser, '[data-test=next]'); // → signature
    const pad = await shown(browser, '[data-test=signature-pad]');
    await pad.scrollIntoView();
    await browser
      .action('pointer', { parameters: { pointerType: 'mouse' } })
      .move({ origin: pad, x: -120, y: -30 })
      .down()
      .move({ origin: pad, x: -40, y: 30, duration: 100 })
      .move({ origin: pad, x: 40, y: -30, duration: 100 })
      .move({ origin: pad, x: 120, y: 20, duration: 100 })
      .up()
      .perform();
    await click(browser, '[data-test=signature-save]');
    await shown(browser, '[data-test=signature-saved] img');
    await click(browser, '[data-test=next]'); // → confirm
    await click(browser, '[data-test=finish]');
    await shown(browser, '[data-test=visit-finished]');
    const alert = await shown(browser, '[data-test=finished-alert]');
    assert.match(await alert.getText(), /住房/);
    await shot('ganbu-finished');

    const status = await syncNow();
    assert.equal(status.pending_ops, 0);
    assert.equal(status.photos_waiting, 0);
    assert.equal(status.last_sync.photos_uploaded, 2, 'the photo and the signature');
    assert.ok(status.last_sync.pushed >= 1);
  });
  await closeApp(browser);
  browser = null;
});

test('the first secretary sees the visit, its photo and the housing alert', async () => {
  browser = await openApp(shujiDir);
  await step('shuji-sees', async () => {
    await unlockWith(browser, PIN);
    await until(async () => (await route(browser)) === '/tasks', 20_000, 'the task list');
    const status = await syncNow();
    assert.ok(status.last_sync.pulled >= 1);
    // 我的任务: the alert for the household's housing.
    await go(browser, '/households');
    await go(browser, '/tasks');
    const alert = await until(async () => {
      for (const a of await browser.$$('[data-test=alert]')) {
        const text = await a.getText();
        if (text.includes(`${headName}户`) && text.includes('住房')) return a;
      }
      return null;
    }, 30_000, 'the housing alert in 我的任务');
    await alert.scrollIntoView();
    await shot('shuji-tasks');
    // The household's timeline: the cadre's visit, its note, one photo, signed.
    await alert.click();
    const visit = await until(async () => {
      for (const e of await browser.$$('[data-test=timeline-entry][data-type=visit]')) {
        const text = await e.getText();
        if (text.includes(NOTE)) return { e, text };
      }
      return null;
    }, 20_000, 'the visit in the household timeline');
    assert.match(visit.text, /1 张照片/);
    assert.match(visit.text, new RegExp(PROBLEMS));
    // Its photo on screen: the timeline asks for it (not on this phone: the app fetches it from
    // the server and keeps it) and shows it as a decoded thumbnail, not a placeholder.
    await visit.e.scrollIntoView();
    const thumb = await until(
      () =>
        browser.execute((note) => {
          const entry = Array.from(document.querySelectorAll('[data-test=timeline-entry][data-type=visit]')).find((e) =>
            e.textContent.includes(note),
          );
          const tiles = entry ? Array.from(entry.querySelectorAll('[data-test=timeline-photo]')) : [];
          const tile = tiles[0];
          if (!tile) return null;
          if (tile.getAttribute('data-state') === 'failed') return { failed: tile.textContent.trim() };
          const img = tile.querySelector('img');
          if (tile.getAttribute('data-state') !== 'loaded' || !img || !img.complete || img.naturalWidth === 0) return null;
          const box = img.getBoundingClientRect();
          return { tiles: tiles.length, natural: [img.naturalWidth, img.naturalHeight], shown: [box.width, box.height] };
        }, NOTE),
      30_000,
      "the visit's thumbnail to render",
    );
    assert.equal(thumb.failed, undefined, `the thumbnail is a placeholder: ${thumb.failed}`);
    assert.equal(thumb.tiles, 1, 'one photo (the signature is not a photo)');
    assert.equal(thumb.natural[0], 1600, 'the photo itself, shrunk to a long edge of 1600');
    assert.deepEqual(thumb.shown.map(Math.round), [64, 64], 'a 64 px square tile');
    await shot('shuji-household');
    // The photo's bytes, as the timeline got them: from the server, kept on this phone since.
    const bytes = await invoke(browser, 'photo_bytes', { req: { sha256: photoSha } });
    assert.equal(sha256(bytes), photoSha);
    const size = await browser.executeAsync((sha, done) => {
      window.__TAURI_INTERNALS__.invoke('photo_bytes', { req: { sha256: sha } }).then((buf) => {
        const img = new Image();
        img.onload = () => done([img.naturalWidth, img.naturalHeight]);
        img.onerror = () => done(null);
        img.src = URL.createObjectURL(new Blob([buf], { type: 'image/jpeg' }));
      });
    }, photoSha);
    assert.ok(size, 'the photo renders');
    assert.equal(size[0], 1600, 'shrunk to a long edge of 1600');
    assert.ok(Math.abs(size[1] - 1067) <= 1, `3:2 kept (${size})`);
  });
  await closeApp(browser);
  browser = null;
});
