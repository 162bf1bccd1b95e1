import { createRouter, createWebHashHistory } from 'vue-router';
import { refreshSession, state } from './session';

// Hash history: works from Tauri's custom protocol and any static server, on reload too.
export const router = createRouter({
  history: createWebHashHistory(),
  routes: [
    { path: '/', redirect: '/tasks' },
    { path: '/enrol', component: () => import('./views/EnrolView.vue'), meta: { open: true } },
    { path: '/unlock', component: () => import('./views/UnlockView.vue'), meta: { open: true } },
    { path: '/tasks', component: () => import('./views/TasksView.vue'), meta: { tab: true } },
    {
      path: '/households',
      component: () => import('./views/HouseholdsView.vue'),
      meta: { tab: true },
    },
    { path: '/households/:id', component: () => import('./views/HouseholdView.vue'), props: true },
    {
      path: '/households/:id/visit',
      component: () => import('./views/VisitView.vue'),
      // `?corrects=<visit id>`: the visit flow in correction mode.
      props: (r) => ({ id: r.params.id, corrects: r.query.corrects ?? null }),
    },
    {
      path: '/households/:id/contact',
      component: () => import('./views/ContactView.vue'),
      props: true,
    },
    {
      path: '/households/:id/income',
      component: () => import('./views/IncomeView.vue'),
      props: (r) => ({ id: r.params.id, quarter: r.query.quarter ?? null }),
    },
    {
      path: '/households/:id/sign',
      component: () => import('./views/SignView.vue'),
      props: true,
    },
    {
      path: '/households/:id/arrange',
      component: () => import('./views/ArrangeView.vue'),
      props: true,
    },
    { path: '/sync', component: () => import('./views/SyncView.vue'), meta: { tab: true } },
    { path: '/village', component: () => import('./views/VillageView.vue'), meta: { tab: true } },
    {
      path: '/households/:id/evaluation',
      component: () => import('./views/EvaluationView.vue'),
      props: (r) => ({ id: r.params.id, quarter: r.query.quarter ?? null }),
    },
  ],
});

// Not enrolled: enrol. Locked: unlock. Everything else needs an unlocked session.
router.beforeEach(async (to) => {
  if (to.meta.open) return true;
  let s = state.session;
  if (!s || !s.unlocked) {
    try {
      s = await refreshSession();
    } catch {
      return '/enrol';
    }
  }
  if (!s.enrolled) return '/enrol';
  if (!s.unlocked) return { path: '/unlock', query: { next: to.fullPath } };
  return true;
});

/** Back where the user came from, or to `fallback` when the screen was opened directly. */
export function goBack(fallback: string) {
  const back = (window.history.state as { back?: string | null } | null)?.back;
  if (back) router.back();
  else void router.replace(fallback);
}
