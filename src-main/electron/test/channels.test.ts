import { describe, expect, it } from 'vitest';
import * as preload from '../../../src-preload/channels';
import * as renderer from '../../../src-renderer/api/ipc-client';
import * as main from '../channels';

describe('IPC channel names', () => {
  it('are the same in the main process, the preload and the page', () => {
    expect([preload.API_CHANNEL, preload.EVENT_CHANNEL, preload.MENU_CHANNEL]).toEqual([main.API_CHANNEL, main.EVENT_CHANNEL, main.MENU_CHANNEL]);
    expect(preload.MENU_COMMANDS).toEqual(main.MENU_COMMANDS);
    expect(renderer.MENU_COMMANDS).toEqual(main.MENU_COMMANDS);
    expect(new Set([main.API_CHANNEL, main.EVENT_CHANNEL, main.MENU_CHANNEL]).size).toBe(3);
  });
});
