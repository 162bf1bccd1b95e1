// Where each kind of task is done. A `Record` over the generated `TaskKind`: a kind the Rust side
// adds without a screen here fails the type-check, and `tests/task-kinds.test.ts` opens every
// kind from the task list and checks that its screen comes up.
import type { Task, TaskKind } from './bindings';

type Route = (householdId: string, task: Task) => string;

/** The screen of each kind; `null`: shown as information (W4's ledger is the unit's, handed in
 * at the console, not on a phone). */
export const TASK_SCREENS: Record<TaskKind, Route | null> = {
  visit: (h) => `/households/${h}/visit`,
  income: (h, t) => `/households/${h}/income?quarter=${t.period}`,
  evaluation: (h, t) => `/households/${h}/evaluation?quarter=${t.period}`,
  replace_sign: (h) => `/households/${h}/sign`,
  arrange_pairing: (h) => `/households/${h}/arrange`,
  ledger: null,
};

/** The route that does `task`, or `null` when the phone only shows it. */
export function taskRoute(task: Task): string | null {
  const screen = TASK_SCREENS[task.kind];
  return screen && task.household_id ? screen(task.household_id, task) : null;
}
