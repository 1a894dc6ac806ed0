/**
 * Cancel a running experiment from the experiments table: a `quick`-sized
 * run (200 epochs: minutes) is still training when cancelled; the row ends cancelled and
 * the queue is empty again.
 */
import { expect, test } from '@playwright/test';
import { call } from './api';
import { confirmBox, dropdownCommand, open } from './ui';

test('a running experiment can be cancelled and ends cancelled', async ({ page, request }) => {
  const exp = await call(request, 'createExperiment', { name: 'e2e cancel quick', preset: 'quick', config: { models: ['gru'], seeds: [7], epochs: 200 } });
  await open(page, '/experiments');
  const status = page.getByTestId(`experiment-status-${exp.id}`);
  await expect(status).toHaveAttribute('data-status', 'running', { timeout: 30_000 });

  await dropdownCommand(page, page.getByTestId(`experiment-actions-${exp.id}`), `action-cancel-${exp.id}`);
  await confirmBox(page, 'Cancel runs');
  await expect(status).toHaveAttribute('data-status', 'cancelled', { timeout: 30_000 });

  const detail = await call(request, 'getExperiment', { id: exp.id });
  expect(detail.runs.map((r) => r.status)).toEqual(['cancelled']);
  const q = await call(request, 'getQueue');
  expect(q.running).not.toContain(detail.runs[0]!.id);
});
