/**
 * The app shell: with the token the page loads, keeps the token out of the
 * address bar and reaches the host; without it the host refuses.
 */
import { expect, test } from '@playwright/test';
import { E2E_TOKEN, TOKEN_PATH } from './env';

test('the shell loads with a valid token and keeps the token in sessionStorage', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const apiStatuses: number[] = [];
  page.on('response', (r) => {
    if (new URL(r.url()).pathname.startsWith('/api/')) apiStatuses.push(r.status());
  });
  await page.goto(TOKEN_PATH);
  await expect(page.getByTestId('nav')).toBeVisible();
  // takePageToken: removed from the address bar, kept for this tab
  await expect.poll(() => new URL(page.url()).searchParams.has('token')).toBe(false);
  expect(await page.evaluate(() => sessionStorage.getItem('lw.token'))).toBe(E2E_TOKEN);
  // the page talked to the host and was answered
  await expect.poll(() => apiStatuses.length).toBeGreaterThan(0);
  expect(apiStatuses.filter((s) => s === 401)).toEqual([]);
  // a reload keeps working from sessionStorage
  await page.reload();
  await expect(page.getByTestId('nav')).toBeVisible();
  expect(errors).toEqual([]);
});

test('without a token the host refuses and the page says so', async ({ page, request }) => {
  const bare = await request.post('/api/listExperiments', { headers: { 'content-type': 'application/json' }, data: '{}' });
  expect(bare.status()).toBe(401);
  const wrong = await request.post('/api/listExperiments', {
    headers: { 'content-type': 'application/json', 'x-lw-token': 'not-the-token-0123456789' }, data: '{}',
  });
  expect(wrong.status()).toBe(401);

  const statuses: number[] = [];
  page.on('response', (r) => {
    if (new URL(r.url()).pathname.startsWith('/api/')) statuses.push(r.status());
  });
  await page.goto('/');
  await expect.poll(() => statuses.includes(401)).toBe(true);
  await expect(page.getByText(/unauthori[sz]ed|token/i).first()).toBeVisible();
});
