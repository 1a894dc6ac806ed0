/**
 * Errors of an import. Every problem names the file (its path inside the
 * imported folder or archive) and, where there is one, the line and column,
 * so a user can open the file and fix it. An import with any problem stores
 * nothing.
 */
import { ApiError } from '../../../src-shared/api';

export interface ImportProblem {
  /** path inside the import ('/'-separated), or '' for the import as a whole */
  file: string;
  /** 1-based line, when the problem is at one */
  line?: number;
  /** 1-based column, when the problem is at one cell */
  column?: number;
  /** the column's header name, when known */
  columnName?: string;
  message: string;
}

/** "seed_1/gru/gru_summary.csv line 4, column 3 (alpha_hat): message" */
export function formatProblem(p: ImportProblem): string {
  let where = p.file;
  if (p.line !== undefined) where += `${where ? ' ' : ''}line ${p.line}`;
  if (p.column !== undefined) where += `, column ${p.column}${p.columnName !== undefined ? ` (${p.columnName})` : ''}`;
  return where ? `${where}: ${p.message}` : p.message;
}

/**
 * The import was refused; `problems` lists what is wrong (at most
 * MAX_PROBLEMS). Nothing was stored. An ApiError 'invalid' (the Api answers
 * with it as is), its `fields` one per problem: the file and the problem.
 */
export class ImportError extends ApiError {
  constructor(readonly source: string, readonly problems: readonly ImportProblem[]) {
    super(
      'invalid',
      problems.length === 1
        ? `cannot import ${source}: ${formatProblem(problems[0]!)}`
        : `cannot import ${source} (${problems.length} problems):\n${problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`,
      problems.map((p) => ({ field: p.file || 'path', message: formatProblem(p) })),
    );
    this.name = 'ImportError';
  }
}

/** Stop collecting problems after this many. */
export const MAX_PROBLEMS = 20;

/** One problem found while reading one file (thrown inside a reader, collected by the importer). */
export class FileProblem extends Error {
  override name = 'FileProblem';
  constructor(readonly problem: ImportProblem) {
    super(formatProblem(problem));
  }
}

export function fail(file: string, message: string, at: { line?: number; column?: number; columnName?: string } = {}): never {
  throw new FileProblem({ file, message, ...at });
}
