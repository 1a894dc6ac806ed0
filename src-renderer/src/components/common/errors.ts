/** A user-facing message for an error from the Api (with field errors when present). */
import { ApiError } from '../../../../src-shared/api';

export function describeError(err: unknown): string {
  if (err instanceof ApiError) {
    const f = err.fields?.length ? `: ${err.fields.map((x) => `${x.field}: ${x.message}`).join('; ')}` : '';
    return err.message + f;
  }
  return err instanceof Error ? err.message : String(err);
}
