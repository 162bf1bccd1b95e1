// The session as the UI knows it (refreshed from the `session` command).
import { reactive } from 'vue';
import type { Session } from './bindings';
import { api } from './api';
import { setCurrentYear } from './format';

export const state = reactive<{ session: Session | null }>({ session: null });

export async function refreshSession(): Promise<Session> {
  const s = await api.session();
  setSession(s);
  return s;
}

export function setSession(s: Session) {
  state.session = s;
  setCurrentYear(Number(s.today.slice(0, 4)));
}
