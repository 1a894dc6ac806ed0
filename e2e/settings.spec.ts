/**
 * Settings, the cap on concurrent WebGPU runs (`settings-gpu-runs`): it shows
 * the host's QueueState.gpuRuns with its help line, and a value set is kept
 * by the host, so a reload shows it again. With a usable WebGPU adapter the
 * value is set with the keyboard in the input; without one (the usual test
 * machine) the input is disabled with a hint, and the value is set through
 * the Api (setGpuRuns) to check that the page shows the host's value. The
 * previous value is put back at the end: the host is shared by every spec.
 * A second test shows the page of a host without an adapter (its system info
 * rewritten on the way), whatever this machine has: the input disabled, the hint.
 */
import { expect, test } from '@playwright/test';
import type { SystemInfo } from '../src-shared/api';
import { decode, encode } from '../src-shared/wire';
import { call } from './api';
import { inputOf, open } from './ui';

test('settings: concurrent GPU runs, shown with its help, kept after a reload', async ({ page, request }) => {
  const before = await call(request, 'getQueue');
  const info = await call(request, 'getSystemInfo');
  const gpu = info.backends.some((b) => b.name === 'webgpu' && b.available);
  const next = before.gpuRuns === 2 ? 3 : 2;
  test.info().annotations.push({ type: 'webgpu', description: gpu ? 'an adapter: set with the keyboard' : 'no adapter: disabled, set through the Api' });

  await open(page, '/settings');
  const input = inputOf(page, 'settings-gpu-runs');
  await expect(input).toHaveValue(String(before.gpuRuns));
  await expect(input).toHaveAttribute('aria-label', 'concurrent GPU runs');
  await expect(page.getByTestId('settings-gpu-runs-help')).toContainText('lower this if runs fail with out-of-memory');
  try {
    if (gpu) {
      await expect(input).toBeEnabled();
      await expect(page.getByTestId('settings-gpu-runs-disabled')).toHaveCount(0);
      // keyboard only: focus, replace the text, Enter commits (as the worker-count input)
      await input.focus();
      await input.press('ControlOrMeta+a');
      await input.pressSequentially(String(next));
      await input.press('Enter');
      await expect.poll(async () => (await call(request, 'getQueue')).gpuRuns).toBe(next);
    } else {
      await expect(input).toBeDisabled();
      await expect(page.getByTestId('settings-gpu-runs-disabled')).toContainText('no usable WebGPU adapter');
      expect((await call(request, 'setGpuRuns', { gpuRuns: next })).gpuRuns).toBe(next);
    }
    await page.reload();
    await expect(page.getByTestId('view-settings')).toBeVisible();
    await expect(inputOf(page, 'settings-gpu-runs')).toHaveValue(String(next));
  } finally {
    await call(request, 'setGpuRuns', { gpuRuns: before.gpuRuns });
  }
});

test('settings: without a usable WebGPU adapter the GPU-runs input is disabled with a hint', async ({ page }) => {
  // the host's system info, with its WebGPU entry marked unavailable (what a machine without an adapter reports)
  await page.route('**/api/getSystemInfo', async (route) => {
    const res = await route.fetch();
    const info = decode<SystemInfo>(await res.text());
    const backends = info.backends.filter((b) => b.name !== 'webgpu');
    backends.push({ name: 'webgpu', available: false, description: 'no WebGPU adapter' });
    await route.fulfill({ response: res, body: encode({ ...info, backends }) });
  });
  await open(page, '/settings');
  await expect(page.getByTestId('settings-backend-webgpu')).toContainText('webgpu unavailable');
  await expect(inputOf(page, 'settings-gpu-runs')).toBeDisabled();
  await expect(page.getByTestId('settings-gpu-runs-disabled')).toContainText('no usable WebGPU adapter');
  await expect(page.getByTestId('settings-gpu-runs-help')).toBeVisible();
  // the worker count next to it stays usable
  await expect(inputOf(page, 'settings-workers')).toBeEnabled();
});
