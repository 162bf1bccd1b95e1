// Every kind of task the rules engine produces (the generated `TaskKind`, read from the bindings
// so that a new kind is enumerated here without editing this test) opens a screen where it can be
// done; the only exception, W4's unit ledger, is shown as information.
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import type { MockScenario } from '../src/mock/install';
import { expectNoPageErrors, open, useBrowser } from './helpers';

useBrowser();

const binding = readFileSync(new URL('../src/bindings/TaskKind.ts', import.meta.url), 'utf8');
const KINDS = [...binding.matchAll(/"([a-z_]+)"/g)].map((m) => m[1]);

/** The screen (its root's data-test) that does each kind, and a mock situation that lists one. */
const DESTINATIONS: Record<string, { screen: string | null; scenario: MockScenario }> = {
  visit: { screen: 'visit', scenario: {} },
  income: { screen: 'income', scenario: {} },
  evaluation: { screen: 'evaluation', scenario: { evaluationTask: true } },
  replace_sign: { screen: 'sign', scenario: {} },
  arrange_pairing: { screen: 'arrange', scenario: { firstSecretary: true } },
  ledger: { screen: null, scenario: { secretary: true } },
};

describe('every task kind has a destination', () => {
  test('the bindings name the kinds', () => {
    expect(KINDS.length).toBeGreaterThanOrEqual(6);
    // A kind without a destination here fails: give it a screen (and ui/src/taskScreens.ts).
    expect(KINDS.filter((k) => !(k in DESTINATIONS))).toEqual([]);
  });

  for (const kind of KINDS) {
    test(`a ${kind} task`, async () => {
      const dest = DESTINATIONS[kind];
      expect(dest, `no destination for ${kind}`).toBeDefined();
      const page = await open('/tasks', dest.scenario);
      await page.locator('[data-test=tasks]').waitFor();
      const filter = page.locator('[data-test=task-filter] .van-tab', { hasText: '全部' });
      if (await filter.count()) await filter.click();
      const task = page.locator(`[data-test=task][data-kind=${kind}]`).first();
      await task.waitFor();
      await task.click();
      if (dest.screen) {
        await page.locator(`[data-test=${dest.screen}]`).waitFor();
        await expect(page.url()).not.toMatch(/#\/tasks/);
      } else {
        await expect(task.locator('[data-test=unit-task]').count()).resolves.toBe(1);
        await expect(page.url()).toMatch(/#\/tasks$/);
      }
      expectNoPageErrors(page);
    });
  }
});
