/**
 * Preload of the desktop window (sandboxed, context-isolated): exposes
 * `window.lw` = { invoke, onEvent, onMenu } and nothing else (bridge.ts).
 */
import { contextBridge, ipcRenderer } from 'electron';
import { createBridge } from './bridge';

contextBridge.exposeInMainWorld('lw', createBridge(ipcRenderer));
