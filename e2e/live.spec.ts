/**
 * Live runs: a `quick`-sized run shows as running with its epoch advancing
 * live (run-progress events over the socket) and a progress bar; the queue
 * pauses and resumes; the run is cancelled from its row.
 */
import { expect, test } from '@playwright/test';
import { call } from './api';
import { open } from './ui';

test('a running run updates live, the queue pauses and resumes, the run is cancelled', async ({ page, request }) => {
  const exp = await call(request, 'createExperiment', { name: 'e2e live quick', preset: 'quick', config: { models: ['gru'], seeds: [11], epochs: 200 } });
  const runId = exp.runs[0]!.id;
  await open(page, '/live');
  const status = page.getByTestId(`live-status-${runId}`);
  await expect(status).toHaveAttribute('data-status', 'running', { timeout: 30_000 });

  // the epoch column moves on without a reload: "k / 200"
  const epoch = page.getByTestId(`live-epoch-${runId}`);
  await expect(epoch).toHaveText(/^\s*\d+ \/ 200\s*$/, { timeout: 30_000 });
  const first = Number((await epoch.textContent())!.trim().split(' ')[0]);
  await expect.poll(async () => Number((await epoch.textContent())!.trim().split(' ')[0]), { timeout: 45_000 }).toBeGreaterThan(first);
  const bar = page.getByTestId(`live-progress-${runId}`).locator('xpath=self::*[@role="progressbar"] | .//*[@role="progressbar"]').first();
  await expect.poll(async () => Number(await bar.getAttribute('aria-valuenow')), { timeout: 15_000 }).toBeGreaterThan(0);

  // pause and resume the queue
  const state = page.getByTestId('queue-state');
  await expect(state).toHaveAttribute('data-paused', 'false');
  await page.getByTestId('queue-toggle').click();
  await expect(state).toHaveAttribute('data-paused', 'true');
  expect((await call(request, 'getQueue')).paused).toBe(true);
  await page.getByTestId('queue-toggle').click();
  await expect(state).toHaveAttribute('data-paused', 'false');
  expect((await call(request, 'getQueue')).paused).toBe(false);

  await page.getByTestId(`live-cancel-${runId}`).click();
  await expect.poll(async () => (await call(request, 'getRun', { runId })).status, { timeout: 30_000 }).toBe('cancelled');
});
