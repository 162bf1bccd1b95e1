import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';

// `--mode mock` builds the UI with a mocked backend (src/mock/) for component tests and
// screenshots; any other mode leaves the mock out of the bundle.
export default defineConfig(({ mode }) => ({
  plugins: [vue()],
  // Relative asset paths: the bundle works from Tauri's custom protocol and any preview server.
  base: './',
  clearScreen: false,
  define: {
    __VUE_I18N_FULL_INSTALL__: true,
    __VUE_I18N_LEGACY_API__: false,
    __INTLIFY_PROD_DEVTOOLS__: false,
    __BANGFU_MOCK__: JSON.stringify(mode === 'mock'),
  },
  server: { port: 1420, strictPort: true },
  build: {
    target: 'es2021',
    chunkSizeWarningLimit: 2000,
  },
}));
