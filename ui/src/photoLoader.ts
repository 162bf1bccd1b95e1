// Photos named by their SHA-256, as object URLs for one screen. The bytes come from
// `photo_bytes` (this phone's file, or the server's, fetched and kept by the app), at most
// `limit` at a time in the order asked, so a household's timeline never floods a weak
// connection. A photo that cannot be had keeps its error code (the screen shows a placeholder
// and may ask again); nothing here ever rejects. Every URL is revoked when the screen goes.
import { onUnmounted, reactive } from 'vue';
import { api } from './api';
import type { AppError } from './bindings';

export interface PhotoState {
  /**
   * `waiting`: asked, queued or being fetched; `ready`: bytes here, the image decoding;
   * `shown`: decoded on screen; `failed`: see `code`.
   */
  status: 'waiting' | 'ready' | 'shown' | 'failed';
  url?: string;
  /** The AppError code of a failure (`offline`, `not_found`, …; `not_an_image`). */
  code?: string;
}

export interface PhotoLoader {
  /** Read-only: the state of each photo asked for. */
  readonly photos: Map<string, PhotoState>;
  /** Fetch the photo unless it is here or on its way; after a failure, ask again. */
  want(sha256: string): void;
  /** Its image was decoded and shown. */
  shown(sha256: string): void;
  /** Its bytes are no image the web view can show. */
  broken(sha256: string): void;
}

/** The MIME type from the first bytes (the app keeps JPEG photos and PNG signatures). */
function imageType(bytes: ArrayBuffer): string {
  const b = new Uint8Array(bytes, 0, Math.min(bytes.byteLength, 12));
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg';
  if (b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return 'image/png';
  if (b[0] === 0x52 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x46 && b[8] === 0x57 && b[9] === 0x45) return 'image/webp';
  return '';
}

/** Call in a component's `setup`: the loader lives as long as the component. */
export function usePhotoLoader(limit = 3): PhotoLoader {
  const photos = reactive(new Map<string, PhotoState>());
  const queue: string[] = [];
  const urls = new Set<string>();
  let running = 0;
  let gone = false;

  function forget(url: string | undefined) {
    if (url && urls.delete(url)) URL.revokeObjectURL(url);
  }

  async function fetchOne(sha256: string) {
    try {
      const bytes = await api.photoBytes({ sha256 });
      if (gone) return;
      if (!bytes.byteLength) {
        photos.set(sha256, { status: 'failed', code: 'not_found' });
        return;
      }
      const url = URL.createObjectURL(new Blob([bytes], { type: imageType(bytes) }));
      urls.add(url);
      photos.set(sha256, { status: 'ready', url });
    } catch (e) {
      if (gone) return;
      photos.set(sha256, { status: 'failed', code: (e as AppError).code ?? 'internal' });
    }
  }

  function pump() {
    while (!gone && running < limit && queue.length) {
      const sha256 = queue.shift()!;
      running += 1;
      void fetchOne(sha256).finally(() => {
        running -= 1;
        pump();
      });
    }
  }

  function want(sha256: string) {
    const s = photos.get(sha256);
    if (gone || (s && s.status !== 'failed')) return;
    photos.set(sha256, { status: 'waiting' });
    queue.push(sha256);
    pump();
  }

  function shown(sha256: string) {
    const s = photos.get(sha256);
    if (s?.status === 'ready') photos.set(sha256, { ...s, status: 'shown' });
  }

  function broken(sha256: string) {
    forget(photos.get(sha256)?.url);
    photos.set(sha256, { status: 'failed', code: 'not_an_image' });
  }

  onUnmounted(() => {
    gone = true;
    queue.length = 0;
    for (const url of [...urls]) forget(url);
  });

  return { photos, want, shown, broken };
}
