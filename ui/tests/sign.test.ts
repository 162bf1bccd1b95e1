import { describe, expect, test } from 'vitest';
import { HH, callsOf, expectNoPageErrors, open, useBrowser } from './helpers';

useBrowser();

const SIGN_TASK = '更换谢春梅户门口的联系牌';

describe('更换联系牌 (R7)', () => {
  test('r7: from the task list to done, and the timeline shows the new sign', async () => {
    const page = await open('/tasks');
    await page.locator('[data-test=task]', { hasText: SIGN_TASK }).click();
    await page.waitForURL(/#\/households\/[^/]+\/sign$/);
    await page.locator('[data-test=sign]').waitFor();
    const pairing = page.locator('[data-test=sign-pairing]');
    await expect(pairing.textContent()).resolves.toContain('帮扶干部 张丽');
    await expect(pairing.textContent()).resolves.toContain('12月15日起结对 · 12月24日前更换');
    await expect(page.locator('[data-test=sign-day] input').inputValue()).resolves.toBe('12月20日');
    await page.locator('[data-test=sign-save]').click();
    await page.locator('[data-test=tasks]').waitFor();
    await page.getByText('已逾期 81 天').first().waitFor();
    await expect(page.locator('[data-test=task]', { hasText: SIGN_TASK }).count()).resolves.toBe(0);
    const [call] = await callsOf(page, 'sign_record');
    expect(call.args.req).toEqual({ household_id: HH(6), pairing_id: '01930000-0000-7000-8000-0000000f0006', replaced_on: '2025-12-20' });

    await page.goto(page.url().replace(/#.*$/, `#/households/${HH(6)}`));
    const entry = page.locator('[data-test=timeline-entry][data-type=sign]');
    await entry.waitFor();
    await expect(entry.textContent()).resolves.toContain('更换联系牌 · 帮扶干部 张丽');
    await expect(entry.textContent()).resolves.toContain('记录人：张丽');
    await expect(page.locator('[data-test=start-sign]').count()).resolves.toBe(0);
    expectNoPageErrors(page);
  });

  test('r7: the household page offers the sign only where one is owed', async () => {
    const page = await open(`/households/${HH(6)}`);
    await page.locator('[data-test=start-sign]').click();
    await page.locator('[data-test=sign]').waitFor();
    const other = await open(`/households/${HH(1)}`);
    await other.locator('[data-test=start-visit]').waitFor();
    await expect(other.locator('[data-test=start-sign]').count()).resolves.toBe(0);
  });

  test('r7: a refused day is shown at its field and nothing leaves the screen', async () => {
    const message = '更换日期早于结对开始日期（2025-12-15）。请选择结对开始当天或之后的日期。';
    const page = await open(`/households/${HH(6)}/sign`, {
      fail: {
        sign_record: {
          code: 'invalid',
          message: `有 1 处填写有误，未保存：${message}`,
          retry_after_s: null,
          fields: [{ field: 'replaced_on', code: 'replaced_before_pairing', message }],
        },
      },
    });
    await page.locator('[data-test=sign-save]').click();
    await expect(page.locator('[data-test=sign-day] .van-field__error-message').textContent()).resolves.toBe(message);
    await expect(page.locator('[data-test=sign]').isVisible()).resolves.toBe(true);
  });

  test('r7: the date picker is in Chinese and offers no day after today', async () => {
    const page = await open(`/households/${HH(6)}/sign`);
    await page.locator('[data-test=sign-day] .van-field').click();
    const picker = page.locator('.van-picker');
    await picker.waitFor();
    await expect(picker.textContent()).resolves.toContain('2025年');
    await expect(picker.textContent()).resolves.toContain('12月');
    await expect(picker.textContent()).resolves.toContain('20日');
    await expect(picker.textContent()).resolves.not.toContain('21日');
    await page.locator('.van-picker__confirm').click();
    await expect(page.locator('[data-test=sign-day] input').inputValue()).resolves.toBe('12月20日');
  });
});
