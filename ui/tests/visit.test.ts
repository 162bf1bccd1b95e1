import { describe, expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import { HH, callsOf, expectNoPageErrors, open, useBrowser } from './helpers';

useBrowser();

const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, ...new Array(200).fill(7), 0xff, 0xd9]);

async function next(page: Page) {
  await page.locator('[data-test=next]').click();
}

async function answer(page: Page, item: string, status: 'ok' | 'risk') {
  await page.locator(`[data-test=check-${item}-${status}]`).click();
}

describe('上门走访 (new visit)', () => {
  test('every step change saves the draft; the whole flow records the visit', async () => {
    const page = await open(`/households/${HH(2)}/visit`);
    await page.locator('[data-test=step-present]').waitFor();
    await expect(page.textContent('[data-test=saved-note]')).resolves.toContain('每一步都已自动保存在手机上');
    await page.getByText('陈桂英', { exact: true }).click();
    await next(page);
    await page.locator('[data-test=step-checks]').waitFor();
    let saves = await callsOf(page, 'draft_save');
    expect(saves.at(-1)!.args.req).toMatchObject({ step: 1, present: ['陈桂英'] });

    for (const item of ['education', 'medical', 'housing']) await answer(page, item, 'ok');
    await answer(page, 'water', 'risk');
    await page.getByText('标记“有风险”后，提交时将向村和乡镇发出预警').waitFor();
    await page.locator('[data-test=check-water-note] textarea').fill('水井干涸，靠邻居送水');
    await next(page);
    await page.locator('[data-test=step-policy]').waitFor();
    await page.getByText('教育资助政策').click();
    await next(page);
    await page.locator('[data-test=step-tidiness]').waitFor();
    await next(page);
    await page.locator('[data-test=problems] textarea').fill('冬季取水难');
    await next(page);

    // Photos: the webview's file input, with the camera on a phone.
    await page.locator('[data-test=step-photos]').waitFor();
    const input = page.locator('[data-test=photo-input] input[type=file]');
    await expect(input.getAttribute('capture')).resolves.toBe('environment');
    await expect(input.getAttribute('accept')).resolves.toBe('image/*');
    await input.setInputFiles({ name: 'a.jpg', mimeType: 'image/jpeg', buffer: JPEG });
    await page.locator('[data-test=photo]').first().waitFor();
    const [photo] = await callsOf(page, 'add_photo');
    expect(photo.args).toEqual({ bytes: JPEG.length });
    await next(page);

    // The household's signature, drawn with a finger or a mouse.
    await page.locator('[data-test=step-signature]').waitFor();
    const pad = page.locator('[data-test=signature-pad]');
    const box = (await pad.boundingBox())!;
    await page.mouse.move(box.x + 30, box.y + 100);
    await page.mouse.down();
    for (let i = 1; i <= 10; i++) await page.mouse.move(box.x + 30 + i * 20, box.y + 100 + (i % 2 ? 30 : -30));
    await page.mouse.up();
    await page.locator('[data-test=signature-save]').click();
    await page.locator('[data-test=signature-saved]').waitFor();
    const [sig] = await callsOf(page, 'set_signature');
    expect(sig.args.bytes).toBeGreaterThan(100);
    await next(page);

    await page.locator('[data-test=step-confirm]').waitFor();
    saves = await callsOf(page, 'draft_save');
    expect(saves.map((s) => s.args.req.step)).toEqual(expect.arrayContaining([1, 2, 3, 4, 5, 6, 7]));
    expect(saves.at(-1)!.args.req.checks.water).toEqual({ status: 'risk', note: '水井干涸，靠邻居送水' });
    await page.locator('[data-test=finish]').click();
    await page.locator('[data-test=visit-finished]').waitFor();
    await expect(page.textContent('[data-test=finished-alert]')).resolves.toContain('已发现风险：饮水安全');
    expectNoPageErrors(page);
  });

  test('unanswered checks and a risk without a note are refused with the field and what to do', async () => {
    const page = await open(`/households/${HH(3)}/visit`);
    await page.locator('[data-test=step-present]').waitFor();
    for (let i = 0; i < 7; i++) await next(page);
    await page.locator('[data-test=finish]').click();
    // Back on the checks, each unanswered item says so.
    await page.locator('[data-test=step-checks]').waitFor();
    await page.getByText('义务教育还没有核查。请选择“有保障”或“有风险”。').first().waitFor();
    for (const item of ['education', 'medical', 'housing']) await answer(page, item, 'ok');
    await answer(page, 'water', 'risk');
    for (let i = 1; i < 7; i++) await next(page);
    await page.locator('[data-test=finish]').click();
    await page.locator('[data-test=step-checks]').waitFor();
    await page.locator('[data-test=check-water]').getByText('饮水安全标记为“有风险”，但未填写情况说明。请写明发现的问题').waitFor();
    await expect(callsOf(page, 'draft_finish')).resolves.toHaveLength(2);
  });

  test('a full disk: the step does not move on and the message says what to do', async () => {
    const page = await open(`/households/${HH(4)}/visit`, {
      fail: {
        draft_save: {
          code: 'disk_full',
          message: '手机存储空间已满，刚才的内容没有保存。请删除一些不用的照片、视频或应用，腾出空间后重试；已保存的内容不会丢失。',
          retry_after_s: null,
          fields: [],
        },
      },
    });
    await page.locator('[data-test=step-present]').waitFor();
    await next(page);
    await page.locator('[data-test=error][data-code=disk_full]').getByText('请删除一些不用的照片、视频或应用').waitFor();
    await expect(page.locator('[data-test=step-present]').isVisible()).resolves.toBe(true);
    // No "everything is saved" above a refusal that says it was not.
    await expect(page.locator('[data-test=saved-note]').count()).resolves.toBe(0);
  });

  test('放弃本次走访 is away from the title and asks first', async () => {
    const page = await open(`/households/${HH(2)}/visit`);
    await page.locator('[data-test=step-present]').waitFor();
    await expect(page.locator('[data-test=saved-note]').isVisible()).resolves.toBe(true);
    await expect(page.locator('.van-nav-bar').textContent()).resolves.not.toContain('放弃');
    await page.locator('[data-test=visit-discard]').click();
    await page.locator('.van-dialog').getByText('放弃后本次填写的内容将被删除，确定放弃吗？').waitFor();
    await page.locator('.van-dialog__cancel').click();
    await expect(callsOf(page, 'draft_discard')).resolves.toHaveLength(0);
    await expect(page.locator('[data-test=step-present]').isVisible()).resolves.toBe(true);
    await page.locator('[data-test=visit-discard]').click();
    await page.locator('.van-dialog__confirm').click();
    await page.locator('[data-test=household]').waitFor();
    await expect(callsOf(page, 'draft_discard')).resolves.toHaveLength(1);
    expectNoPageErrors(page);
  });

  test('not an image: the app refuses the file and says so', async () => {
    const page = await open(`/households/${HH(5)}/visit`, {
      fail: {
        add_photo: {
          code: 'invalid',
          message: '有 1 处填写有误，未保存：这不是可用的照片（只能添加 JPG、PNG 或 WebP 图片，每张不超过 25 MB）。请重新拍照或选择照片。',
          retry_after_s: null,
          fields: [{ field: 'photos', code: 'photo_not_image', message: '这不是可用的照片（只能添加 JPG、PNG 或 WebP 图片，每张不超过 25 MB）。请重新拍照或选择照片。' }],
        },
      },
    });
    await page.locator('[data-test=step-present]').waitFor();
    for (let i = 0; i < 5; i++) await next(page);
    await page.locator('[data-test=photo-input] input[type=file]').setInputFiles({ name: 'x.pdf', mimeType: 'image/jpeg', buffer: Buffer.from('%PDF') });
    await page.locator('[data-test=error]').getByText('只能添加 JPG、PNG 或 WebP 图片').first().waitFor();
  });
  test('a standard visit (all fine, one photo, a signature) takes at most 14 taps from the task list', async () => {
    const page = await open('/tasks');
    let taps = 0;
    const tap = async (selector: string) => {
      taps += 1;
      await page.locator(selector).first().click();
    };
    await tap('[data-test=task][data-kind=visit]');
    await page.locator('[data-test=step-present]').waitFor();
    await tap('[data-test=step-present] .van-cell');
    await tap('[data-test=next]');
    await tap('[data-test=checks-all-ok]');
    for (const item of ['education', 'medical', 'housing', 'water']) {
      await expect(page.locator(`[data-test=check-${item}-ok] .van-radio__icon--checked`).count()).resolves.toBe(1);
    }
    await tap('[data-test=next]'); // policies
    await tap('[data-test=next]'); // 五净一规范
    await tap('[data-test=next]'); // problems
    await tap('[data-test=next]'); // photos
    // One photo: a tap on the camera button, the camera's own shutter not counted.
    taps += 1;
    await page.locator('[data-test=photo-input] input[type=file]').setInputFiles({ name: 'a.jpg', mimeType: 'image/jpeg', buffer: JPEG });
    await page.locator('[data-test=photo]').first().waitFor();
    await tap('[data-test=next]');
    // The signature: drawn (a stroke, not a tap), then kept.
    const pad = page.locator('[data-test=signature-pad]');
    const box = (await pad.boundingBox())!;
    await page.mouse.move(box.x + 30, box.y + 100);
    await page.mouse.down();
    for (let i = 1; i <= 8; i++) await page.mouse.move(box.x + 30 + i * 20, box.y + 100 + (i % 2 ? 25 : -25));
    await page.mouse.up();
    await tap('[data-test=signature-save]');
    await page.locator('[data-test=signature-saved]').waitFor();
    await tap('[data-test=next]');
    await tap('[data-test=finish]');
    await page.locator('[data-test=visit-finished]').waitFor();
    const [finish] = await callsOf(page, 'draft_finish');
    expect(finish).toBeDefined();
    const saved = (await callsOf(page, 'draft_save')).at(-1)!.args.req;
    expect(Object.values(saved.checks).map((c) => (c as { status: string }).status)).toEqual(['ok', 'ok', 'ok', 'ok']);
    expect(taps).toBeLessThanOrEqual(14);
    // The count, for whoever changes the flow.
    console.log(`standard visit: ${taps} taps`);
  });

  test('四项均正常 sets every check, each still changeable', async () => {
    const page = await open(`/households/${HH(3)}/visit`);
    await page.locator('[data-test=step-present]').waitFor();
    await next(page);
    await answer(page, 'water', 'risk');
    await page.locator('[data-test=checks-all-ok]').click();
    await expect(page.locator('[data-test=check-water-note]').count()).resolves.toBe(0);
    await answer(page, 'housing', 'risk');
    await page.locator('[data-test=check-housing-note] textarea').fill('房屋漏雨');
    await next(page);
    const saved = (await callsOf(page, 'draft_save')).at(-1)!.args.req;
    expect(saved.checks.housing).toEqual({ status: 'risk', note: '房屋漏雨' });
    expect(saved.checks.water).toEqual({ status: 'ok', note: '' });
  });
});
