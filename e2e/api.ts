/**
 * Direct calls to the web host's Api from the tests (setup and checks that
 * do not belong to the view under test), in the wire format of
 * src-shared/wire.ts, authenticated with the test token.
 */
import type { APIRequestContext } from '@playwright/test';
import type { Api } from '../src-shared/api';
import { decode, encode, TOKEN_HEADER } from '../src-shared/wire';
import { E2E_TOKEN } from './env';

type Arg<M extends keyof Api> = Parameters<Api[M]>[0];
type Result<M extends keyof Api> = Awaited<ReturnType<Api[M]>>;

export async function call<M extends keyof Api>(request: APIRequestContext, method: M, arg?: Arg<M>): Promise<Result<M>> {
  const res = await request.post(`/api/${method}`, {
    headers: { [TOKEN_HEADER]: E2E_TOKEN, 'content-type': 'application/json' },
    data: arg === undefined ? '' : encode(arg),
  });
  const text = await res.text();
  if (!res.ok()) throw new Error(`${method}: HTTP ${res.status()}: ${text.slice(0, 500)}`);
  return decode<Result<M>>(text);
}

/** Poll until every run of the experiment is finished; returns its detail. */
export async function waitFinished(request: APIRequestContext, id: number, timeoutMs: number): Promise<Result<'getExperiment'>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const exp = await call(request, 'getExperiment', { id });
    if (exp.finishedAt !== null) return exp;
    if (Date.now() > until) throw new Error(`experiment ${id} not finished after ${timeoutMs} ms: ${JSON.stringify(exp.progress)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
