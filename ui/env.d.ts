/// <reference types="vite/client" />

/** True in the `mock` build (component tests, screenshots). */
declare const __BANGFU_MOCK__: boolean;

declare module '*.vue' {
  import type { DefineComponent } from 'vue';
  const component: DefineComponent<object, object, unknown>;
  export default component;
}
