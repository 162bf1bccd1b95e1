import { createApp } from 'vue';
import Vant from 'vant';
import 'vant/lib/index.css';
// Mouse as touch on a desktop (a first secretary's laptop); does nothing on a phone.
import '@vant/touch-emulator';
import App from './App.vue';
import { router } from './router';
import { i18n } from './i18n';
import './style.css';

async function start() {
  // The mock build (component tests, screenshots) installs a fake backend first; in any other
  // build `__BANGFU_MOCK__` is false and the import is dropped from the bundle.
  if (__BANGFU_MOCK__) {
    const { installMock } = await import('./mock/install');
    installMock();
  }
  createApp(App).use(router).use(i18n).use(Vant).mount('#app');
}

void start();
