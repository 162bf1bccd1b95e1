import { describe, expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import { HH, callsOf, expectNoPageErrors, open, useBrowser } from './helpers';

useBrowser();

async function next(page: Page) {
  await page.locator('[data-test=next]').click();
}

/** From the first step to the confirm step. */
async function toConfirm(page: Page) {
  for (let i = 0; i < 7; i++) await next(page);
  await page.locator('[data-test=step-confirm]').waitFor();
}

describe('更正走访 (correcting a saved visit)', () => {
  test('opened from the timeline, corrected with a reason; the original is struck through', async () => {
    const page = await open(`/households/${HH(1)}`);
    const visit = page.locator('[data-test=timeline-entry][data-type=visit]');
    await visit.waitFor();
    await expect(visit.locator('[data-test=visit-body]').getAttribute('data-struck')).resolves.toBe('false');
    await visit.locator('[data-test=correct-visit]').click();

    // The visit flow in correction mode, pre-filled from the visit.
    await page.locator('[data-test=correction-reason]').waitFor();
    expect(page.url()).toContain('/visit?corrects=v1');
    const [opened] = await callsOf(page, 'correction_open');
    expect(opened.args.req).toEqual({ visit_id: 'v1' });
    await expect(page.textContent('[data-test=correcting]')).resolves.toContain('正在更正 2025年10月3日 10:20 的走访');
    await expect(page.locator('[data-test=visited-at] input').inputValue()).resolves.toBe('2025年10月3日 10:20');
    await expect(page.textContent('.van-nav-bar__title')).resolves.toContain('更正走访');

    // Change what was wrong: the problems.
    for (let i = 0; i < 4; i++) await next(page);
    const problems = page.locator('[data-test=problems] textarea');
    await expect(problems.inputValue()).resolves.toBe('户主高血压，需长期服药');
    await problems.fill('户主高血压、糖尿病，需长期服药');
    for (let i = 0; i < 3; i++) await next(page);
    await page.locator('[data-test=step-confirm]').waitFor();

    // Without a reason: refused at its field, back on the first step, nothing recorded.
    await page.locator('[data-test=finish]').click();
    const reason = page.locator('[data-test=correction-reason]');
    await reason.getByText('请填写更正原因：说明原记录哪里有误').waitFor();
    await expect(page.locator('[data-test=visit-finished]').count()).resolves.toBe(0);

    await reason.locator('textarea').fill('漏记了户主的糖尿病');
    await toConfirm(page);
    await page.locator('[data-test=finish]').click();
    await page.locator('[data-test=visit-finished]').waitFor();
    await expect(page.textContent('[data-test=visit-finished]')).resolves.toContain('更正已保存');
    const saved = (await callsOf(page, 'draft_save')).at(-1)!.args.req;
    expect(saved).toMatchObject({ corrects: 'v1', correction_reason: '漏记了户主的糖尿病', problems: '户主高血压、糖尿病，需长期服药' });
    await expect(callsOf(page, 'draft_finish')).resolves.toHaveLength(2);

    // The timeline shows both: the correction first, then the original struck through.
    await page.locator('[data-test=visit-finished] .van-button').click();
    const visits = page.locator('[data-test=timeline-entry][data-type=visit]');
    await expect.poll(() => visits.count()).toBe(2);
    const [fixed, original] = [visits.nth(0), visits.nth(1)];
    await expect(fixed.textContent()).resolves.toContain('户主高血压、糖尿病，需长期服药');
    await expect(fixed.locator('[data-test=correction-note]').textContent()).resolves.toContain('更正原因：漏记了户主的糖尿病');
    await expect(fixed.locator('[data-test=visit-body]').getAttribute('data-struck')).resolves.toBe('false');
    await expect(fixed.locator('[data-test=correct-visit]').count()).resolves.toBe(1);
    const body = original.locator('[data-test=visit-body]');
    await expect(body.getAttribute('data-struck')).resolves.toBe('true');
    const decoration = await body.evaluate((el) => getComputedStyle(el).textDecorationLine);
    expect(decoration).toContain('line-through');
    await expect(original.textContent()).resolves.toContain('已更正');
    const by = await original.locator('[data-test=corrected-by]').textContent();
    expect(by).toContain('张丽 于 2025年12月20日 09:10 更正');
    expect(by).toContain('更正原因：漏记了户主的糖尿病');
    await expect(original.locator('[data-test=correct-visit]').count()).resolves.toBe(0);
    expectNoPageErrors(page);
  });

  test('the W2 alert opens the correction of its visit; the corrected date clears it', async () => {
    const page = await open('/tasks', { implausibleVisit: true });
    const alert = page.locator('[data-test=alert]', { hasText: '走访日期 2035-10-03 不可能' });
    await alert.waitFor();
    await expect(alert.textContent()).resolves.toContain('更正');
    await alert.click();
    await page.locator('[data-test=correction-reason]').waitFor();
    expect(page.url()).toContain(`/households/${HH(1)}/visit?corrects=v1`);
    const visitedAt = page.locator('[data-test=visited-at] input');
    await expect(visitedAt.inputValue()).resolves.toBe('2035年10月3日 10:20');

    // Only the reason: the date is still in the future, refused at its field.
    await page.locator('[data-test=correction-reason] textarea').fill('手机时间设置有误，走访日期记错了');
    await toConfirm(page);
    await page.locator('[data-test=finish]').click();
    await page.locator('[data-test=visited-at]').getByText('走访时间晚于现在。请改为实际入户走访的日期和时间。').waitFor();

    await pickDateTime(page, 'visited-at', ['2025年', '10月', '3日'], ['10时', '20分']);
    await expect(visitedAt.inputValue()).resolves.toBe('2025年10月3日 10:20');
    await toConfirm(page);
    await page.locator('[data-test=finish]').click();
    await page.locator('[data-test=visit-finished]').waitFor();
    const saved = (await callsOf(page, 'draft_save')).at(-1)!.args.req;
    expect(saved.started_at).toBe('2025-10-03T10:20:00+08:00');

    await page.evaluate(() => {
      window.location.hash = '#/tasks';
    });
    await page.locator('[data-test=alert]').first().waitFor();
    await expect(page.locator('[data-test=alert]', { hasText: '走访日期 2035-10-03 不可能' }).count()).resolves.toBe(0);
    expectNoPageErrors(page);
  });

  test('a visit already corrected is refused, saying to open the correction in force', async () => {
    const page = await open(`/households/${HH(1)}/visit?corrects=v1`);
    await page.locator('[data-test=correction-reason] textarea').fill('在场人员记错了');
    await toConfirm(page);
    await page.locator('[data-test=finish]').click();
    await page.locator('[data-test=visit-finished]').waitFor();
    // The original, struck through on the household page, is opened again by its address.
    await page.locator('[data-test=visit-finished] .van-button').click();
    await page.locator('[data-test=visit-body][data-struck=true]').waitFor();
    await page.evaluate((hh) => {
      window.location.hash = `#/households/${hh}/visit?corrects=v1`;
    }, HH(1));
    const error = page.locator('[data-test=error]');
    await error.waitFor();
    await expect(error.locator('[data-field=corrects]').textContent()).resolves.toContain('请在走访记录中打开最新的更正记录');
    await expect(page.locator('[data-test=correction-reason]').count()).resolves.toBe(0);
    expectNoPageErrors(page);
  });
});

/** Picks a date and a time in the Chinese picker of the field `field` (tapping each option). */
async function pickDateTime(page: Page, field: string, day: string[], time: string[]) {
  await page.locator(`[data-test=${field}]`).click();
  const picker = page.locator('[data-test=datetime-picker]');
  await picker.waitFor();
  const columns = picker.locator('.van-picker-column');
  for (const [i, text] of day.entries()) {
    await columns.nth(i).locator('.van-picker-column__item', { hasText: new RegExp(`^${text}$`) }).click();
    await page.waitForTimeout(350);
  }
  await picker.locator('.van-tab', { hasText: '时间' }).click();
  await page.waitForTimeout(350);
  for (const [i, text] of time.entries()) {
    await columns.nth(3 + i).locator('.van-picker-column__item', { hasText: new RegExp(`^${text}$`) }).click();
    await page.waitForTimeout(350);
  }
  await picker.locator('.van-picker__confirm').click();
}
