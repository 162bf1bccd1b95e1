// Serves the mock build (dist-mock/) on loopback for the tests.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { preview, type PreviewServer } from 'vite';
import type { TestProject } from 'vitest/node';

let server: PreviewServer | undefined;

export async function setup(project: TestProject) {
  const root = resolve(import.meta.dirname, '..');
  if (!existsSync(resolve(root, 'dist-mock/index.html'))) {
    throw new Error('dist-mock/ is missing: run `npm run build:mock` first (`npm test` does).');
  }
  server = await preview({
    root,
    configFile: false,
    base: './',
    logLevel: 'warn',
    build: { outDir: 'dist-mock' },
    preview: { host: '127.0.0.1', port: 0, strictPort: false, open: false },
  });
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error('the preview server has no address');
  project.provide('baseUrl', url);
}

export async function teardown() {
  await server?.close();
}

declare module 'vitest' {
  export interface ProvidedContext {
    baseUrl: string;
  }
}
