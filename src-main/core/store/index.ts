/** The workstation store (SQLite): see store.ts for the API, migrations/ for the schema. */
export { Store, openStore, APP_VERSION, type OpenStoreOptions } from './store';
export { resolveDataDir, databasePath, ensureDataDir, APP_DIR_NAME, DATABASE_FILE, type DataDirSources, type DataDirSource } from './data-dir';
export {
  openDatabase, loadMigrations, migrate, inspectDatabase, userVersion, APPLICATION_ID, DEFAULT_MIGRATIONS_DIR,
  type Db, type Migration, type MigrateReport, type OpenDatabaseOptions, type DatabaseInfo,
} from './db';
export {
  StoreError, StoreValidationError, StoreNotFoundError, StoreStateError, StoreVersionError, StoreFormatError, MigrationError,
  type FieldError,
} from './errors';
export type { CreateExperimentOptions, ExperimentFilter, ListExperimentsOptions, ExperimentList } from './experiments';
export type { SetRunStatusOptions } from './runs';
export { validateRunResult, type SaveRunResultOptions } from './results';
export { IMPORTED_RUN_STATUSES, type ImportExperimentSpec, type ImportedRun, type ImportedRunEvent } from './imports';
export {
  isRunKernelShape, kernelShapeFromJson, kernelShapeJson, MAX_ADAPTER_LENGTH, type GpuTuningFilter, type NewGpuTuning, type RunTuningKey,
} from './gpu-tunings';
