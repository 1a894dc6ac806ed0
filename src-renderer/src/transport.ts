/**
 * Which transport this page uses: the desktop bridge (window.lw, Electron
 * IPC) when the preload provided one, else the local web host over HTTP and
 * WebSocket, with the access token from the page URL (?token=…, printed by
 * `lw serve`).
 */
import type { Api, ApiEvent } from '../../src-shared/api';
import { createHttpApi, takePageToken } from '../api/http-client';
import { createIpcApi, desktopBridge, type MenuMessage } from '../api/ipc-client';

export interface Client {
  api: Api;
  subscribe(fn: (e: ApiEvent) => void): () => void;
  /** desktop menu commands (the browser has no application menu) */
  onMenu(fn: (m: MenuMessage) => void): () => void;
  transport: 'ipc' | 'http';
}

export function connect(): Client {
  const bridge = desktopBridge();
  if (bridge) return { ...createIpcApi(bridge), transport: 'ipc' };
  const token = takePageToken() ?? '';
  const http = createHttpApi({ baseUrl: window.location.origin, token });
  return { api: http.api, subscribe: (fn) => http.subscribe(fn), onMenu: () => () => {}, transport: 'http' };
}
