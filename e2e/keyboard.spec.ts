/**
 * The workstation with the keyboard only (issue 5: "keyboard-usable"): Tab /
 * Shift+Tab move the focus, Enter / Space / arrows operate what has it; the
 * mouse is never used. Moves between the main views through the navigation,
 * fills and launches the new-experiment form, opens and closes a dialog
 * (Escape), sorts a table column (the experiments table and a data table),
 * and exports a chart as SVG and PNG from its card. Every control reached is
 * checked to show where the focus is (a visible focus indicator).
 */
import { readFile } from 'node:fs/promises';
import { expect, test, type Locator, type Page } from '@playwright/test';
import { call, waitFinished } from './api';
import { expectChartRendered } from './charts';
import { TOKEN_PATH } from './env';
import { inputOf } from './ui';

/** Press Tab (or Shift+Tab) until `target` (or an element inside it) has the focus; at most `max` presses. */
async function tabTo(page: Page, target: Locator, opts: { max?: number; back?: boolean } = {}): Promise<void> {
  const max = opts.max ?? 150;
  await target.waitFor({ state: 'attached' });
  for (let i = 0; i <= max; i++) {
    if (await target.evaluate((el) => el === document.activeElement || el.contains(document.activeElement))) return;
    await page.keyboard.press(opts.back ? 'Shift+Tab' : 'Tab');
  }
  const at = await page.evaluate(() => {
    const a = document.activeElement;
    return a ? `${a.tagName.toLowerCase()}${a.id ? `#${a.id}` : ''}.${a.className} "${(a.textContent ?? '').trim().slice(0, 40)}"` : 'nothing';
  });
  throw new Error(`the focus did not reach ${target.toString()} in ${max} presses of ${opts.back ? 'Shift+Tab' : 'Tab'} (it is on ${at})`);
}

/**
 * The focused element shows that it has the keyboard focus: it matches
 * :focus-visible and an outline is drawn on it or, for a native checkbox or
 * radio that Element Plus hides, on the box drawn in its place (the next
 * visible sibling); a text field shows it on its wrapper (Element Plus
 * `is-focus`, a coloured border).
 */
async function expectFocusVisible(page: Page, what: string): Promise<void> {
  const state = await page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el || el === document.body) return null;
    const outlined = (x: Element | null) => {
      if (!x) return false;
      const s = getComputedStyle(x);
      const r = x.getBoundingClientRect();
      return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0 && Number(s.opacity) > 0 && r.width > 1 && r.height > 1;
    };
    let drawn = outlined(el);
    for (let x = el.nextElementSibling; x && !drawn; x = x.nextElementSibling) drawn = outlined(x);
    const field = el.closest('.el-input__wrapper.is-focus, .el-select__wrapper.is-focused, .el-input-tag__wrapper.is-focused') !== null
      || (el.tagName === 'TEXTAREA' && el.classList.contains('is-focus'));
    return { focusVisible: el.matches(':focus-visible'), drawn: drawn || field, tag: `${el.tagName.toLowerCase()}.${el.className}` };
  });
  expect(state, `${what}: something has the focus`).not.toBeNull();
  expect(state!.focusVisible, `${what}: keyboard focus (:focus-visible) on ${state!.tag}`).toBe(true);
  expect(state!.drawn, `${what}: the focus is drawn on ${state!.tag}`).toBe(true);
}

/** The experiment ids in the order the experiments table shows them. */
async function tableOrder(page: Page): Promise<number[]> {
  const ids = await page.getByTestId('experiments-table').locator('[data-testid^="experiment-link-"]')
    .evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-testid')!.replace('experiment-link-', ''))));
  return ids;
}

const NAME = 'keyboard smoke';

test('the workstation with the keyboard only', async ({ page, request }) => {
  test.setTimeout(120_000);
  // a second experiment (never started) so that the table has rows to sort whatever ran before
  await call(request, 'createExperiment', { name: 'keyboard other', preset: 'smoke', start: false });
  await page.goto(`${TOKEN_PATH}#/experiments`);
  await expect(page.getByTestId('view-experiments')).toBeVisible();

  await test.step('navigation: Tab to an entry, Enter opens its view', async () => {
    await tabTo(page, page.getByTestId('nav-theory'));
    await expectFocusVisible(page, 'navigation entry');
    await page.keyboard.press('Enter');
    await expect(page).toHaveURL(/#\/theory$/);
    // back up the menu to "New experiment" (Shift+Tab), Space opens it too
    await tabTo(page, page.getByTestId('nav-new'), { back: true });
    await page.keyboard.press(' ');
    await expect(page).toHaveURL(/#\/new$/);
    await expect(page.getByTestId('view-new')).toBeVisible();
  });

  let id = 0;
  await test.step('new experiment: fill the form and launch it', async () => {
    // a clean form: "Clear form" asks first (a dialog: Tab to its Clear button, Enter)
    await tabTo(page, page.getByTestId('new-reset'));
    await page.keyboard.press('Enter');
    const box = page.getByRole('dialog', { name: 'Clear form' });
    await expect(box).toBeVisible();
    await tabTo(page, box.getByRole('button', { name: 'Clear', exact: true }), { max: 10 });
    await expectFocusVisible(page, 'confirm button of a dialog');
    await page.keyboard.press('Enter');
    await expect(box).toBeHidden();
    const name = inputOf(page, 'new-name');
    await tabTo(page, name, { back: true });
    await expectFocusVisible(page, 'name field');
    await page.keyboard.type(NAME);
    await tabTo(page, page.getByTestId('new-preset'));
    // the preset radios: the focus is on the checked one; the arrows move to smoke (the cleared form's already)
    for (let i = 0; i < 3 && !(await page.getByTestId('new-preset-smoke').locator('input').isChecked()); i++) await page.keyboard.press('ArrowLeft');
    await expect(page.getByTestId('new-preset-smoke').locator('input')).toBeChecked();
    // two architectures only: uncheck shared, diag and lstm (Space toggles a checkbox)
    for (const a of ['shared', 'diag', 'lstm']) {
      await tabTo(page, page.getByTestId(`field-models-${a}`).locator('input'));
      await expectFocusVisible(page, `architecture ${a}`);
      await page.keyboard.press(' ');
      await expect(page.getByTestId(`field-models-${a}`).locator('input')).not.toBeChecked();
    }
    await expect(page.getByTestId('new-validity')).toHaveAttribute('data-valid', 'true');
    await tabTo(page, page.getByTestId('new-launch'));
    await expectFocusVisible(page, 'launch button');
    await page.keyboard.press('Enter');
    await expect(page).toHaveURL(/#\/(live|experiments\/\d+)/);
    const list = await call(request, 'listExperiments', { filter: { text: NAME } });
    expect(list.total).toBe(1);
    expect(list.items[0]!.models).toEqual(['const', 'gru']);
    expect(list.items[0]!.preset).toBe('smoke');
    id = list.items[0]!.id;
    await waitFinished(request, id, 90_000);
  });

  await test.step('a dialog: opened from a row\'s actions menu, closed with Escape', async () => {
    await page.goto(`${TOKEN_PATH}#/experiments`);
    const actions = page.getByTestId(`experiment-actions-${id}`);
    await tabTo(page, actions);
    await expectFocusVisible(page, 'row actions button');
    // Enter opens the menu with its first item focused; the arrows move through the items, Enter runs one
    await page.keyboard.press('Enter');
    await expect(page.getByTestId(`action-open-${id}`)).toBeFocused();
    await page.keyboard.press('ArrowDown');
    const rename = page.getByTestId(`action-rename-${id}`);
    await expect(rename).toBeFocused();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Edit experiment' });
    await expect(dialog).toBeVisible();
    // the focus is in the name field; typing there and then Escape closes the dialog without saving
    await expect(inputOf(page, 'edit-name')).toBeFocused();
    await expect(inputOf(page, 'edit-name')).toHaveValue(NAME);
    await page.keyboard.type(' (not saved)');
    await page.keyboard.press('Escape');
    await expect(dialog).toBeHidden();
    // back on the button that opened the menu
    await expect(actions).toBeFocused();
    // nothing was changed
    expect((await call(request, 'getExperiment', { id })).name).toBe(NAME);
  });

  await test.step('sort the experiments table by a column: Enter on the sort button of its header', async () => {
    const ids = await tableOrder(page);
    expect(ids.length).toBeGreaterThan(1);
    const table = page.getByTestId('experiments-table');
    const header = table.locator('thead th').filter({ hasText: /^#$/ }).first();
    await tabTo(page, table.getByRole('button', { name: 'Sort by #' }), { back: true });
    await expectFocusVisible(page, 'sort button of the # column');
    await page.keyboard.press('Enter');
    await expect.poll(() => tableOrder(page)).toEqual([...ids].sort((a, b) => a - b));
    await expect(header).toHaveAttribute('aria-sort', 'ascending');
    await page.keyboard.press('Enter');
    await expect.poll(() => tableOrder(page)).toEqual([...ids].sort((a, b) => b - a));
    await expect(header).toHaveAttribute('aria-sort', 'descending');
  });

  await test.step('open the results from the table, sort a data table, export a chart', async () => {
    const link = page.getByTestId(`experiment-link-${id}`);
    await tabTo(page, link);
    await expectFocusVisible(page, 'experiment link');
    await page.keyboard.press('Enter');
    await expect(page).toHaveURL(new RegExp(`#/experiments/${id}$`));
    await expectChartRendered(page, 'chart-hn');

    // the table behind the H_N chart: its toggle, then sort by N with the column's sort button (Enter: ascending, again: descending)
    await tabTo(page, page.getByTestId('chart-hn-table-toggle'));
    await page.keyboard.press('Enter');
    const table = page.getByTestId('chart-hn-table');
    await expect(table).toBeVisible();
    const sortN = table.getByRole('button', { name: 'Sort by N', exact: true });
    await tabTo(page, sortN);
    await expectFocusVisible(page, 'sort button of a data table column');
    // the N column of the rows shown (a virtualised table: the first ones), and what they must be: the budgets, once per architecture
    const shownN = async () => table.locator('.el-table-v2__row').evaluateAll((rows) => rows.map((r) => Number((r.querySelectorAll('.el-table-v2__row-cell')[1]?.textContent ?? '').trim())));
    const grid = (await call(request, 'getExperiment', { id })).config.N_grid;
    const twice = (ns: number[]) => ns.flatMap((n) => [n, n]);
    const shown = (await shownN()).length;
    expect(shown).toBeGreaterThan(2);
    await page.keyboard.press('Enter');
    await expect.poll(shownN).toEqual(twice([...grid].sort((a, b) => a - b)).slice(0, shown));
    await expect(sortN).toBeFocused();
    await page.keyboard.press('Enter');
    await expect.poll(shownN).toEqual(twice([...grid].sort((a, b) => b - a)).slice(0, shown));

    // the card's export buttons: SVG, then PNG (Enter on the focused button)
    await tabTo(page, page.getByTestId('chart-hn-svg'), { back: true });
    await expectFocusVisible(page, 'SVG export button');
    const [svg] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Enter')]);
    expect(svg.suggestedFilename()).toBe(`experiment-${id}-H_N.svg`);
    expect((await readFile(await svg.path())).toString('utf8')).toMatch(/^<svg[\s\S]*H_N[\s\S]*<\/svg>\s*$/);
    await tabTo(page, page.getByTestId('chart-hn-png'), { back: true });
    const [png] = await Promise.all([page.waitForEvent('download'), page.keyboard.press(' ')]);
    expect(png.suggestedFilename()).toBe(`experiment-${id}-H_N.png`);
    // the PNG signature
    expect([...(await readFile(await png.path())).subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  });
});
