/**
 * Errors of the store. Each says what went wrong in words a user can act on;
 * callers (CLI, Api) show `message` and may read the structured fields.
 */

export class StoreError extends Error {
  override name = 'StoreError';
}

export interface FieldError {
  /** the field at fault: a configuration field name ("T"), "name", "tags", or a path ("curve[3].epoch") */
  field: string;
  message: string;
}

/** Invalid input (configuration, name, tags, result rows); nothing was written. */
export class StoreValidationError extends StoreError {
  override name = 'StoreValidationError';
  readonly errors: FieldError[];
  constructor(what: string, errors: FieldError[]) {
    super(`invalid ${what}:\n${errors.map((e) => `  ${e.message}`).join('\n')}`);
    this.errors = errors;
  }
}

/** No experiment / run with that id. */
export class StoreNotFoundError extends StoreError {
  override name = 'StoreNotFoundError';
}

/** An operation not allowed in the current state (e.g. a status change that is not a transition). */
export class StoreStateError extends StoreError {
  override name = 'StoreStateError';
}

/** The database was written by a newer version of the workstation; it was not modified. */
export class StoreVersionError extends StoreError {
  override name = 'StoreVersionError';
  constructor(readonly path: string, readonly found: number, readonly supported: number) {
    super(
      `${path} was written by a newer version of the Learnability Workstation (schema version ${found}; this version `
        + `reads up to ${supported}). It was not modified. Open it with a newer version, or use another data directory (--data-dir).`,
    );
  }
}

/** The file is not a workstation database (not SQLite, or another application's). */
export class StoreFormatError extends StoreError {
  override name = 'StoreFormatError';
}

/** A migration failed; its transaction was rolled back and the schema version is unchanged. */
export class MigrationError extends StoreError {
  override name = 'MigrationError';
}
