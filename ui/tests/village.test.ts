import { describe, expect, test } from 'vitest';
import { expectNoPageErrors, open, useBrowser } from './helpers';

useBrowser();

const WANG = '01930000-0000-7000-8000-00000000c001';

describe('第一书记的村情', () => {
  test("村情 lists the village's cadres with this quarter's counts; a cadre opens that cadre's tasks", async () => {
    const page = await open('/village', { secretary: true });
    await page.locator('[data-test=village-card]').waitFor();
    const card = page.locator('[data-test=village-card]');
    await expect(card.textContent()).resolves.toContain('油山镇 上乐村');
    await expect(card.textContent()).resolves.toContain('2025年第四季度完成情况');
    await expect(page.locator('[data-test=without-cadre]').textContent()).resolves.toContain('无结对干部 1 户');
    // Most overdue first; her own row says so.
    const names = await page.locator('[data-test=cadre] .name').allTextContents();
    expect(names).toEqual(['王建华', '周敏', '李书记（本人）']);
    const wang = page.locator(`[data-test=cadre][data-person="${WANG}"]`);
    await expect(wang.locator('[data-test=cadre-overdue]').textContent()).resolves.toContain('已逾期 1');
    await expect(wang.locator('[data-test=cadre-owed]').textContent()).resolves.toContain('待完成 2');
    await expect(wang.locator('[data-test=cadre-done]').textContent()).resolves.toContain('已完成 4');
    // The tab bar has 村情 and names the households tab for a village, not 我的帮扶户.
    const tabs = await page.locator('[data-test=tabbar]').textContent();
    expect(tabs).toMatch(/我的任务.*村情.*农户.*同步/);
    expect(tabs).not.toContain('我的帮扶户');

    await wang.click();
    await page.waitForURL(/#\/tasks\?cadre=/);
    await page.locator('[data-test=cadre-filter]').waitFor();
    await expect(page.locator('[data-test=cadre-filter]').textContent()).resolves.toContain('只看王建华的任务');
    const owners = await page.locator('[data-test=task]').allTextContents();
    expect(owners).toHaveLength(1);
    expect(owners[0]).toContain('黄志强');
    await expect(page.locator('[data-test=count-overdue]').textContent()).resolves.toBe('1');
    // Closing the filter shows the whole list again.
    await page.locator('[data-test=cadre-filter] .van-tag__close').click();
    await page.waitForURL(/#\/tasks$/);
    await page.locator('[data-test=task-filter]').waitFor();
    expectNoPageErrors(page);
  });

  test('the task list shows 我的 / 全部 / 按干部', async () => {
    const page = await open('/tasks', { secretary: true });
    await page.locator('[data-test=task-filter]').waitFor();
    // 我的: only what she owes herself (the fixture's five).
    await expect(page.locator('[data-test=task]').count()).resolves.toBe(5);
    await page.locator('[data-test=task-filter] .van-tab', { hasText: '全部' }).click();
    await expect(page.locator('[data-test=task]').count()).resolves.toBe(8);
    await page.locator('[data-test=task-filter] .van-tab', { hasText: '按干部' }).click();
    const groups = (await page.locator('.van-cell-group__title').allTextContents()).filter((g) => g !== '预警');
    // One group per person who owes: the most overdue first.
    expect(groups.slice(0, 2).sort()).toEqual(['李书记', '王建华'].sort());
    expect(groups).toEqual(expect.arrayContaining(['王建华', '周敏', '县财政局（帮扶干部空缺）']));
    expectNoPageErrors(page);
  });

  test("a unit's ledger task is information, not a dead tap", async () => {
    const page = await open('/tasks', { secretary: true });
    await page.locator('[data-test=task-filter] .van-tab', { hasText: '全部' }).click();
    const ledger = page.locator('[data-test=task][data-kind=ledger]');
    await expect(ledger.locator('[data-test=unit-task]').textContent()).resolves.toContain('这里仅供了解');
    await expect(ledger.locator('.van-cell__right-icon').count()).resolves.toBe(0);
    await ledger.click();
    // Nothing opened: still the task list.
    await expect(page.url()).toMatch(/#\/tasks$/);
  });

  test('a cadre has no 村情 tab; opened anyway, it says why it is empty', async () => {
    const page = await open('/village');
    await page.locator('[data-test=not-team]').waitFor();
    await expect(page.locator('[data-test=tab-village]').count()).resolves.toBe(0);
    await expect(page.locator('[data-test=households-title]').count()).resolves.toBe(0);
  });

  test('the household list is titled by role and says how long a due date is past', async () => {
    const cadre = await open('/households');
    await expect(cadre.locator('[data-test=households-title]').textContent()).resolves.toContain('我的帮扶户');
    await cadre.locator('[data-test=next-due].danger').first().waitFor();
    await expect(cadre.locator('[data-test=next-due].danger').first().textContent()).resolves.toContain(
      '已逾期 81 天（应于9月30日前走访）',
    );
    const secretary = await open('/households', { secretary: true });
    await expect(secretary.locator('[data-test=households-title]').textContent()).resolves.toContain('本村农户');
  });
});
