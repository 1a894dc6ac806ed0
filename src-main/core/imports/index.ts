/** Importing results of the reference pipeline (and our own ZIP exports): see import.ts and README.md. */
export {
  importReferenceResults, importResults, IMPORT_TAG, REFERENCE_DIAG_BATCH,
  type ImportOptions, type ImportReport, type ImportedRunReport,
} from './import';
export { ImportError, formatProblem, type ImportProblem } from './errors';
export { DEFAULT_IMPORT_LIMITS, resolveLimits, type ImportLimits } from './limits';
export { parseCliArgsCsv, type ConfigLayer } from './cli-args';
