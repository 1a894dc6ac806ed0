/**
 * Electron main process of the desktop app (DESIGN.md §1, §5): one window,
 * the menu, and the bridge between the page and the service. Thin on
 * purpose: every piece of behaviour lives in src-main/core (the service) or in
 * the plain modules beside this file (ipc-handler, security, menu, paths),
 * which are unit-tested without Electron.
 *
 *   built by `npm run build:desktop` into out/main/main.js;
 *   launched by `npm start` (scripts/start.mjs) as `electron out/main/main.js [--data-dir DIR]`.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  app, BrowserWindow, dialog, ipcMain, Menu, protocol, session,
  type IpcMainInvokeEvent, type OpenDialogOptions, type WebContents,
} from 'electron';
import { API_CHANNEL, EVENT_CHANNEL, MENU_CHANNEL, type MenuMessage } from '../../src-shared/ipc-channels';
import { encode } from '../../src-shared/wire';
import { createService } from '../core/service';
import { openStore, type Store } from '../core/store';
import { createIpcHandler, type IpcSender } from './ipc-handler';
import { buildMenuTemplate } from './menu';
import { dataDirArg, desktopPaths, findNativeBinding } from './paths';
import {
  APP_ENTRY_URL, APP_SCHEME, CONTENT_SECURITY_POLICY, isAppUrl, secureWebPreferences, serveAppAsset,
} from './security';

const APP_NAME = 'Learnability Workstation';
const SHUTDOWN_TIMEOUT_MS = 10_000;
const paths = desktopPaths(fileURLToPath(import.meta.url));

type Service = ReturnType<typeof createService>;
let service: Service | null = null;
let store: Store | null = null;
let mainWindow: BrowserWindow | null = null;

// --- before ready: identity, sandbox everywhere, the app's scheme ------------

app.setName(APP_NAME);
// a stable data folder whether started as `electron .` or `electron out/main/main.js`
app.setPath('userData', join(app.getPath('appData'), 'learnability-workstation'));
app.enableSandbox();
protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true } },
]);

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (!mainWindow) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
  });
  app.on('web-contents-created', (_e, contents) => harden(contents));
  app.whenReady().then(start).catch((err: unknown) => fatal(err));
}

// --- every web contents: no navigation, no new windows, no webviews ---------

function harden(contents: WebContents): void {
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  contents.on('will-navigate', (e) => e.preventDefault());
  contents.on('will-redirect', (e, url) => {
    if (!isAppUrl(url)) e.preventDefault();
  });
  contents.on('will-attach-webview', (e) => e.preventDefault());
}

function hardenSession(): void {
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  ses.setDevicePermissionHandler(() => false);
  // the CSP on every response (the app's own protocol also sets it, see security.ts)
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
  });
  ses.protocol.handle(APP_SCHEME, async (request) => {
    const r = await serveAppAsset(paths.renderer, request.url, request.method);
    return new Response(r.body, { status: r.status, headers: r.headers });
  });
}

// --- start-up ---------------------------------------------------------------

async function start(): Promise<void> {
  hardenSession();

  const native = findNativeBinding(paths, process.versions);
  const dataDir = dataDirArg(process.argv) ?? (process.env.LW_DATA_DIR || undefined) ?? app.getPath('userData');
  try {
    store = openStore({
      dataDir,
      migrationsDir: paths.migrations,
      ...('path' in native ? { nativeBinding: native.path } : {}),
    });
  } catch (err) {
    const hint = 'problem' in native ? `\n\n${native.problem}` : '';
    throw new Error(`Cannot open the database in ${dataDir}: ${err instanceof Error ? err.message : String(err)}${hint}`);
  }
  service = createService({ store, host: 'electron', workerFile: paths.worker });

  const handle = createIpcHandler({ api: service.api, isTrustedUrl: isAppUrl });
  ipcMain.handle(API_CHANNEL, (e: IpcMainInvokeEvent, method: unknown, arg: unknown) => handle(senderOf(e), method, arg));

  service.subscribe((event) => {
    let payload: string;
    try {
      payload = encode(event);
    } catch (err) {
      console.error('lw: event not encodable', err);
      return;
    }
    for (const w of BrowserWindow.getAllWindows()) {
      if (!w.isDestroyed() && isAppUrl(w.webContents.getURL())) w.webContents.send(EVENT_CHANNEL, payload);
    }
  });

  Menu.setApplicationMenu(Menu.buildFromTemplate(buildMenuTemplate(process.platform, { send: sendMenu, chooseImport }, APP_NAME)));

  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
}

function senderOf(e: IpcMainInvokeEvent): IpcSender | null {
  const frame = e.senderFrame;
  return frame ? { url: frame.url, isMainFrame: frame.parent === null } : null;
}

function createWindow(): void {
  const win = new BrowserWindow({
    width: 1280,
    height: 820,
    show: false,
    title: APP_NAME,
    webPreferences: secureWebPreferences(paths.preload),
  });
  mainWindow = win;
  win.once('ready-to-show', () => win.show());
  win.on('closed', () => {
    if (mainWindow === win) mainWindow = null;
  });
  void win.loadURL(APP_ENTRY_URL);
}

function sendMenu(message: MenuMessage): void {
  const win = BrowserWindow.getFocusedWindow() ?? mainWindow;
  if (win && !win.isDestroyed()) win.webContents.send(MENU_CHANNEL, message);
}

async function chooseImport(kind: 'folder' | 'zip' | 'any'): Promise<string | null> {
  const options: OpenDialogOptions = {
    title: 'Import results of the reference pipeline',
    properties: kind === 'folder' ? ['openDirectory'] : kind === 'zip' ? ['openFile'] : ['openFile', 'openDirectory'],
    ...(kind === 'folder' ? {} : { filters: [{ name: 'Results archive', extensions: ['zip'] }] }),
  };
  const win = BrowserWindow.getFocusedWindow() ?? mainWindow;
  const r = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
  return r.canceled ? null : (r.filePaths[0] ?? null);
}

// --- shutdown ---------------------------------------------------------------

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});

let closed = false;
app.on('will-quit', (e) => {
  if (closed) return;
  e.preventDefault();
  closed = true;
  // running runs are stopped; the next start marks them interrupted (resumable)
  void (async () => {
    try {
      // a stuck worker must not keep the app from quitting
      await Promise.race([service?.close(), new Promise((r) => setTimeout(r, SHUTDOWN_TIMEOUT_MS).unref())]);
    } catch (err) {
      console.error('lw: closing the service failed', err);
    }
    store?.close();
    app.exit(0);
  })();
});

function fatal(err: unknown): void {
  const message = err instanceof Error ? err.message : String(err);
  console.error(`lw: ${message}`);
  dialog.showErrorBox(`${APP_NAME} cannot start`, message);
  app.exit(1);
}
