import { describe, expect, test } from 'vitest';
import { expectNoPageErrors, open, useBrowser } from './helpers';

useBrowser();

describe('我的任务', () => {
  test('overdue first, each saying what to do and by when; alerts with what to do', async () => {
    const page = await open('/tasks');
    await page.getByText('已逾期 81 天（应于9月30日前完成）').waitFor();
    const statuses = await page.locator('[data-test=task]').evaluateAll((els) => els.map((e) => e.getAttribute('data-status')));
    expect(statuses).toEqual(['overdue', 'open', 'open', 'upcoming', 'upcoming']);
    const first = page.locator('[data-test=task]').first();
    await expect(first.textContent()).resolves.toContain('上门走访脱贫户陈桂英户');
    await expect(page.locator('[data-test=count-overdue]').textContent()).resolves.toBe('1');
    const alert = page.locator('[data-test=alert]').first();
    await expect(alert.textContent()).resolves.toContain('走访发现饮水安全有风险');
    await expect(alert.textContent()).resolves.toContain('怎么办：已报告村和乡镇');
    // The tab bar names the three tabs in the glossary's words.
    await expect(page.locator('[data-test=tabbar]').textContent()).resolves.toMatch(/我的任务.*我的帮扶户.*同步/);
    expectNoPageErrors(page);
  });

  test('a visit task opens the visit flow; an income task the income form', async () => {
    const page = await open('/tasks');
    await page.locator('[data-test=task]').first().click();
    await page.waitForURL(/#\/households\/[^/]+\/visit$/);
    await page.locator('[data-test=visit]').waitFor();
    await page.goBack();
    await page.locator('[data-test=task][data-status=upcoming]').first().click();
    await page.waitForURL(/#\/households\/[^/]+\/income\?quarter=2025-Q4$/);
  });

  test('nothing to do', async () => {
    const page = await open('/tasks', { noTasks: true });
    await page.getByText('没有待办任务').waitFor();
  });

  test('no data yet: says to sync, with a button to the sync screen', async () => {
    const page = await open('/tasks', {
      fail: { my_tasks: { code: 'no_data', message: '本机还没有您的帮扶数据。请连接网络后点“同步”下载。', retry_after_s: null, fields: [] } },
    });
    await page.locator('[data-test=error][data-code=no_data]').waitFor();
    await page.getByRole('button', { name: '去同步' }).click();
    await page.waitForURL(/#\/sync$/);
  });
});
