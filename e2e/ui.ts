/** Small UI helpers shared by the specs (Element Plus widgets, downloads). */
import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, type Locator, type Page } from '@playwright/test';
import { TOKEN_PATH } from './env';

/** Open a view of the app (hash route) with the token. */
export async function open(page: Page, route: string): Promise<void> {
  await page.goto(`${TOKEN_PATH}#${route}`);
  await expect(page.getByTestId('nav')).toBeVisible();
}

/** Run an Element Plus dropdown command: open the menu at `trigger`, click the item. */
export async function dropdownCommand(page: Page, trigger: Locator, itemTestId: string): Promise<void> {
  const item = page.getByTestId(itemTestId);
  await expect(async () => {
    await trigger.click();
    await expect(item).toBeVisible({ timeout: 2000 });
  }).toPass({ timeout: 15_000 });
  await item.click();
}

/** Click `action` and return the downloaded file's name and bytes. */
export async function download(page: Page, action: () => Promise<void>, timeout = 30_000): Promise<{ name: string; bytes: Uint8Array }> {
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout }), action()]);
  const path = await dl.path();
  return { name: dl.suggestedFilename(), bytes: new Uint8Array(await readFile(path)) };
}

/** Confirm an ElMessageBox by the text of its confirm button. */
export async function confirmBox(page: Page, button: string | RegExp): Promise<void> {
  const box = page.locator('.el-message-box').last();
  await expect(box).toBeVisible();
  await box.getByRole('button', { name: button }).click();
}

/** The native <input>/<textarea> of a test id that may sit on an Element Plus wrapper or on the input itself. */
export function inputOf(page: Page, testid: string): Locator {
  return page.getByTestId(testid).locator('xpath=self::input | self::textarea | .//input | .//textarea').first();
}

/**
 * Where screenshots go: test-results/screenshots/ (a test run leaves the
 * checkout clean), or docs/screenshots/ (the README's images) with
 * LW_UPDATE_SCREENSHOTS=1.
 */
export const SCREENSHOT_DIR = process.env.LW_UPDATE_SCREENSHOTS === '1'
  ? join(import.meta.dirname, '..', 'docs', 'screenshots')
  : join(import.meta.dirname, '..', 'test-results', 'screenshots');

/** A screenshot of the page (or of `target` alone) as SCREENSHOT_DIR/<name>.png, with no hover tooltip and settled layout. */
export async function screenshot(page: Page, name: string, target?: Locator): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.mouse.move(640, 790);
  await page.evaluate(() => document.fonts.ready);
  await page.waitForTimeout(300);
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await (target ? target.screenshot({ path }) : page.screenshot({ path }));
}
