import { describe, expect, test } from 'vitest';
import { HH, callsOf, expectNoPageErrors, open, useBrowser } from './helpers';

useBrowser();

describe('记录联系 (contact log)', () => {
  test('says plainly that a contact is not a visit, and records it', async () => {
    const page = await open(`/households/${HH(1)}`);
    await page.locator('[data-test=start-contact]').click();
    await page.locator('[data-test=contact]').waitFor();
    await expect(page.textContent('[data-test=not-a-visit]')).resolves.toContain('不算上门走访，不能代替每季度的入户走访');
    await page.locator('[data-test=channel-social_media]').click();
    await page.locator('[data-test=contact-note] textarea').fill('微信询问孩子上学情况');
    await page.locator('[data-test=contact-save]').click();
    await page.locator('[data-test=household]').waitFor();
    const [call] = await callsOf(page, 'record_contact');
    expect(call.args.req).toEqual({ household_id: HH(1), channel: 'social_media', at: null, note: '微信询问孩子上学情况' });
    expectNoPageErrors(page);
  });

  test('the time is picked in Chinese (no mm/dd/yyyy), never after today', async () => {
    const page = await open(`/households/${HH(1)}/contact`);
    const field = page.locator('[data-test=contact-at]');
    await expect(field.locator('input').getAttribute('placeholder')).resolves.toBe('不选为现在');
    await expect(field.locator('input').getAttribute('type')).resolves.not.toBe('datetime-local');
    await field.click();
    const picker = page.locator('[data-test=datetime-picker]');
    await picker.waitFor();
    // Chinese columns; the last year offered is the session's (2025): nothing in the future.
    const years = await picker.locator('.van-picker-column').first().locator('.van-picker-column__item').allTextContents();
    expect(years.at(-1)).toBe('2025年');
    await expect(picker.textContent()).resolves.toMatch(/12月.*20日/);
    await picker.locator('.van-picker__confirm').click();
    await expect(field.locator('input').inputValue()).resolves.toMatch(/^2025年12月20日 \d{2}:\d{2}$/);
    await page.locator('[data-test=contact-save]').click();
    await page.locator('[data-test=household]').waitFor();
    const [call] = await callsOf(page, 'record_contact');
    expect(call.args.req.at).toMatch(/^2025-12-20T\d{2}:\d{2}:00\+08:00$/);
    expectNoPageErrors(page);
  });

  test("the app's refusal of the time is shown at the field", async () => {
    const page = await open(`/households/${HH(1)}/contact`, {
      fail: {
        record_contact: {
          code: 'invalid',
          message: '有内容需要修改。',
          retry_after_s: null,
          fields: [{ field: 'at', code: 'in_future', message: '联系时间晚于现在。请选择已经发生的联系时间。' }],
        },
      },
    });
    await page.locator('[data-test=contact-save]').click();
    await page.locator('[data-test=contact-at] .van-field__error-message').getByText('联系时间晚于现在').waitFor();
  });

  test('a full disk', async () => {
    const page = await open(`/households/${HH(1)}/contact`, {
      fail: { record_contact: { code: 'disk_full', message: '手机存储空间已满，刚才的内容没有保存。请删除一些不用的照片、视频或应用，腾出空间后重试；已保存的内容不会丢失。', retry_after_s: null, fields: [] } },
    });
    await page.locator('[data-test=contact-save]').click();
    await page.locator('[data-test=error][data-code=disk_full]').waitFor();
    await expect(page.locator('[data-test=contact]').isVisible()).resolves.toBe(true);
  });
});
