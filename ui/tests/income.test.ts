import { describe, expect, test } from 'vitest';
import { HH, callsOf, expectNoPageErrors, open, useBrowser } from './helpers';

useBrowser();

describe('收入采集 (quarterly income)', () => {
  test('the four categories with their items, live net and per-capita income, saved in fen', async () => {
    const page = await open(`/households/${HH(1)}/income?quarter=2025-Q4`);
    await page.locator('[data-test=window-state][data-state=open]').waitFor();
    await expect(page.textContent('[data-test=income]')).resolves.toContain('采集期 12月25日 至 2026年1月5日');
    for (const c of ['工资性收入', '生产经营性收入', '转移性收入', '财产性收入']) {
      await expect(page.textContent('[data-test=income]')).resolves.toContain(c);
    }
    await expect(page.textContent('[data-test=income]')).resolves.toContain('2025 年监测范围：7500 元/人·年');
    await page.locator('[data-test=item-0] input').fill('9000');
    await page.locator('[data-test=item-4] input').fill('1500.5');
    await page.locator('[data-test=business-cost] input').fill('500');
    await page.locator('[data-test=net]').getByText('10,000.50 元').waitFor();
    await page.locator('[data-test=per-capita]').getByText('3,333.50 元').waitFor();
    await page.locator('[data-test=income-save]').click();
    await page.locator('[data-test=household]').waitFor();
    const [save] = await callsOf(page, 'income_save');
    expect(save.args.req.items[0]).toEqual({ category: 'wage', label: '外出务工收入', amount_fen: 900000 });
    expect(save.args.req.items[4]).toEqual({ category: 'business', label: '种植业收入', amount_fen: 150050 });
    expect(save.args.req.business_cost_fen).toBe(50000);
    expect(save.args.req.household_size).toBe(3);
    expectNoPageErrors(page);
  });

  test('below the line and a sharp drop are warned with what to do', async () => {
    const page = await open(`/households/${HH(1)}/income`);
    await page.locator('[data-test=item-0] input').fill('1200');
    await page.locator('[data-test=warning][data-code=income_below_line]').getByText('低于监测范围 7500 元').waitFor();
    await page.locator('[data-test=warning][data-code=income_drop_quarter]').getByText('请核实下降原因').waitFor();
  });

  test('a negative amount is refused at its field, and nothing is saved', async () => {
    const page = await open(`/households/${HH(1)}/income`);
    await page.locator('[data-test=item-1] input').fill('-300');
    await page.locator('[data-test=item-1]').getByText('工资性收入不能为负数').waitFor();
    await page.locator('[data-test=income-save]').click();
    await page.locator('[data-test=error][data-code=invalid]').waitFor();
    await expect(page.locator('[data-test=income]').isVisible()).resolves.toBe(true);
  });

  test('open in the collection window, overdue after it, upcoming before', async () => {
    for (const [state, text] of [['overdue', '已过采集期'], ['upcoming', '采集期未开始']] as const) {
      const page = await open(`/households/${HH(1)}/income`, { incomeWindow: state });
      await page.locator(`[data-test=window-state][data-state=${state}]`).getByText(text).waitFor();
    }
    const page = await open(`/households/${HH(1)}/income`, { incomeWindow: 'overdue' });
    await page.getByText('已过采集期，请尽快补采。').waitFor();
  });

  test('a full disk on save', async () => {
    const page = await open(`/households/${HH(1)}/income`, {
      fail: { income_save: { code: 'disk_full', message: '手机存储空间已满，刚才的内容没有保存。请删除一些不用的照片、视频或应用，腾出空间后重试；已保存的内容不会丢失。', retry_after_s: null, fields: [] } },
    });
    await page.locator('[data-test=item-0] input').fill('9000');
    await page.locator('[data-test=income-save]').click();
    await page.locator('[data-test=error][data-code=disk_full]').getByText('手机存储空间已满').waitFor();
  });
});
