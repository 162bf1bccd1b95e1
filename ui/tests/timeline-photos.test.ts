// 农户页面: a visit's photos in the household timeline. The mock's visit holds three photos: the
// house and the field are on this phone, the kitchen is not and the phone is offline.
import { describe, expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import { PHOTO_FIELD, PHOTO_HOUSE, PHOTO_KITCHEN } from '../src/mock/data';
import { HH, callsOf, expectNoPageErrors, open, useBrowser } from './helpers';

useBrowser();

const TILE = '[data-test=timeline-photo]';

/** Each tile's state and, when it shows an image, that image's decoded size and address. */
async function tiles(page: Page) {
  return page.locator(TILE).evaluateAll((els) =>
    els.map((el) => {
      const img = el.querySelector('img');
      return {
        state: el.getAttribute('data-state'),
        width: img?.naturalWidth ?? 0,
        src: img?.getAttribute('src') ?? null,
        text: (el.textContent ?? '').replace(/\s+/g, ''),
      };
    }),
  );
}

async function settled(page: Page, n: number) {
  await page.waitForFunction(
    ([sel, n]) => {
      const els = Array.from(document.querySelectorAll(sel as string));
      return els.length === n && els.every((e) => ['loaded', 'failed'].includes(e.getAttribute('data-state') ?? ''));
    },
    [TILE, n] as const,
  );
}

describe('农户页面: 走访照片', () => {
  test("the visit's photos are thumbnails of their bytes; the count is still stated", async () => {
    const page = await open(`/households/${HH(1)}`);
    const visit = page.locator('[data-test=timeline-entry][data-type=visit]');
    await visit.waitFor();
    await expect(visit.locator('[data-test=visit-summary]').textContent()).resolves.toBe('3 张照片 · 户主已签名 · 五净一规范：达标');
    await settled(page, 3);
    const shown = await tiles(page);
    // The two photos on this phone are decoded images (the fixtures are 120×80), in order.
    expect(shown.map((t) => t.state)).toEqual(['loaded', 'loaded', 'failed']);
    expect(shown[0].width).toBe(120);
    expect(shown[1].width).toBe(120);
    expect(shown[0].src).toMatch(/^blob:/);
    expect(shown[0].src).not.toBe(shown[1].src);
    // Asked by hash, once each.
    const asked = (await callsOf(page, 'photo_bytes')).map((c) => c.args.req.sha256);
    expect(asked.sort()).toEqual([PHOTO_HOUSE, PHOTO_FIELD, PHOTO_KITCHEN].sort());
    // 64 px squares, side by side, inside a 360 px wide screen.
    const boxes = await page.locator(TILE).evaluateAll((els) => els.map((e) => e.getBoundingClientRect().toJSON()));
    for (const b of boxes) {
      expect([Math.round(b.width), Math.round(b.height)]).toEqual([64, 64]);
      expect(b.right).toBeLessThanOrEqual(360);
    }
    expect(boxes[1].left).toBeGreaterThan(boxes[0].right);
    expect(boxes[1].top).toBe(boxes[0].top);
    expectNoPageErrors(page);
  });

  test('a photo that cannot be had is a placeholder that asks again on a tap; the page works', async () => {
    const page = await open(`/households/${HH(1)}`);
    await settled(page, 3);
    const failed = page.locator(`${TILE}[data-state=failed]`);
    await expect(failed.count()).resolves.toBe(1);
    await expect(failed.textContent()).resolves.toMatch(/联网后\s*可查看/);
    await expect(failed.getAttribute('aria-label')).resolves.toBe('第 3 张照片：联网后可查看，点按重试');
    // No error for the page, no dialog.
    await expect(page.locator('[data-test=error]').count()).resolves.toBe(0);
    await expect(page.locator('.van-dialog').count()).resolves.toBe(0);
    // A tap while still offline asks again and stays a placeholder.
    const kitchenCalls = async () => (await callsOf(page, 'photo_bytes')).filter((c) => c.args.req.sha256 === PHOTO_KITCHEN).length;
    await expect(kitchenCalls()).resolves.toBe(1);
    await failed.tap();
    await expect.poll(kitchenCalls).toBe(2);
    await settled(page, 3);
    await expect(page.locator(`${TILE}[data-state=failed]`).count()).resolves.toBe(1);
    // Back online: the next tap shows it.
    await page.evaluate(() => {
      window.__BANGFU_MOCK__!.unreachablePhotos = [];
    });
    await page.locator(`${TILE}[data-state=failed]`).tap();
    await page.locator(`${TILE}:nth-child(3)[data-state=loaded]`).waitFor();
    expect((await tiles(page))[2].width).toBe(120);
    // The rest of the page works.
    await page.getByRole('tab', { name: '家庭成员' }).click();
    await expect(page.locator('[data-test=member]').count()).resolves.toBe(3);
    expectNoPageErrors(page);
  });

  test('every photo failing leaves placeholders only (a photo not uploaded says so)', async () => {
    const page = await open(`/households/${HH(1)}`, {
      visitPhotos: ['a'.repeat(64), PHOTO_KITCHEN],
    });
    await settled(page, 2);
    const shown = await tiles(page);
    expect(shown.map((t) => [t.state, t.text])).toEqual([
      ['failed', '尚未上传'],
      ['failed', '联网后可查看'],
    ]);
    await expect(page.locator('[data-test=error]').count()).resolves.toBe(0);
    await expect(page.locator('[data-test=visit-summary]').textContent()).resolves.toContain('2 张照片');
    expectNoPageErrors(page);
  });

  test('a tap opens the visit’s photos full screen, at the one tapped', async () => {
    const page = await open(`/households/${HH(1)}`);
    await settled(page, 3);
    const [, field] = await tiles(page);
    await page.locator(TILE).nth(1).tap();
    const preview = page.locator('.van-image-preview');
    await preview.waitFor({ state: 'visible' });
    // The photos on screen (the placeholder is left out), starting at the field.
    await expect(preview.locator('.van-image-preview__index').textContent()).resolves.toBe('2 / 2');
    const srcs = await preview.locator('.van-swipe-item img').evaluateAll((els) => els.map((e) => e.getAttribute('src')));
    expect(srcs).toContain(field.src);
    expect(new Set(srcs).size).toBe(2);
    // Closed with its button; the page is as it was.
    await preview.locator('.van-image-preview__close-icon').tap();
    await preview.waitFor({ state: 'hidden' });
    // Tapping the placeholder opens nothing.
    await page.locator(`${TILE}[data-state=failed]`).tap();
    await page.waitForTimeout(400);
    await expect(preview.isVisible()).resolves.toBe(false);
    expectNoPageErrors(page);
  });

  test('photos are asked for only when their row comes near the screen, at most three at a time', async () => {
    const many = [PHOTO_HOUSE, PHOTO_FIELD, ...Array.from({ length: 6 }, (_, i) => String(i + 1).repeat(64))];
    const page = await open('/households', { visitPhotos: many, photoDelayMs: 150 });
    await page.locator('[data-test=household]').first().waitFor();
    // A short screen: the visit's photo row is far below its bottom.
    await page.setViewportSize({ width: 360, height: 240 });
    await page.evaluate((id) => {
      location.hash = `#/households/${id}`;
    }, HH(1));
    await page.locator('[data-test=timeline-entry][data-type=visit]').waitFor({ state: 'attached' });
    await page.waitForTimeout(500);
    await expect(callsOf(page, 'photo_bytes')).resolves.toEqual([]);
    await expect(page.locator(`${TILE}[data-state=idle]`).count()).resolves.toBe(8);
    // Scrolled to: all of them are asked for, never more than three at once.
    await page.locator('[data-test=timeline-photos]').scrollIntoViewIfNeeded();
    await settled(page, 8);
    await expect(callsOf(page, 'photo_bytes').then((c) => c.length)).resolves.toBe(8);
    await expect(page.evaluate(() => window.__BANGFU_PHOTOS_IN_FLIGHT_MAX__)).resolves.toBe(3);
    const states = (await tiles(page)).map((t) => t.state);
    expect(states).toEqual(['loaded', 'loaded', ...Array(6).fill('failed')]);
    expectNoPageErrors(page);
  });

  test('leaving the page revokes the thumbnails’ object URLs', async () => {
    const page = await open(`/households/${HH(1)}`);
    await settled(page, 3);
    const src = (await tiles(page))[0].src!;
    const read = (url: string) =>
      page.evaluate((u) => fetch(u).then(
        (r) => r.blob().then((b) => `alive ${b.size}`),
        () => 'revoked',
      ), url);
    await expect(read(src)).resolves.toMatch(/^alive \d+$/);
    await page.locator('.van-nav-bar__left').click();
    await page.locator('[data-test=household]').first().waitFor();
    // Revoked at unmount; Chromium's blob registry hears of it a moment later.
    await expect.poll(() => read(src), { timeout: 3000 }).toBe('revoked');
    expectNoPageErrors(page);
  });
});
