/**
 * The connected API client for every view: `useClient()` gives { api, subscribe,
 * onMenu, transport } (src/transport.ts), connected once per page;
 * `useApiEvents(handler)` subscribes to live ApiEvents for the calling
 * component's lifetime.
 */
import { getCurrentInstance, onBeforeUnmount } from 'vue';
import type { ApiEvent } from '../../../src-shared/api';
import { connect, type Client } from '../transport';

let client: Client | null = null;

/** Set by main.ts (or a test) before mounting; otherwise connected on first use. */
export function provideClient(c: Client): void {
  client = c;
}

export function useClient(): Client {
  client ??= connect();
  return client;
}

/** Subscribe `handler` to live events until the calling component unmounts; returns the unsubscribe. */
export function useApiEvents(handler: (e: ApiEvent) => void): () => void {
  const off = useClient().subscribe(handler);
  let done = false;
  const stop = (): void => {
    if (!done) {
      done = true;
      off();
    }
  };
  if (getCurrentInstance()) onBeforeUnmount(stop);
  return stop;
}
