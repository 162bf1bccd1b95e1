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

  test('a time in the future is refused at the field', async () => {
    const page = await open(`/households/${HH(1)}/contact`);
    await page.locator('[data-test=contact-at] input').fill('2031-01-01T10:00');
    await page.locator('[data-test=contact-save]').click();
    await page.getByText('联系时间晚于现在。请选择已经发生的联系时间。').first().waitFor();
    const [call] = await callsOf(page, 'record_contact');
    expect(call.args.req.at).toMatch(/^2031-01-01T10:00:00\+08:00$/);
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
