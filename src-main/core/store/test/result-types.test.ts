/**
 * Compile-time contract (checked by `tsc` and vitest's typecheck helpers):
 * what a pool worker returns is a RunResult the store accepts, and the
 * diagnostics the store gives back are what the result-file writers accept,
 * so results flow worker → store → files without conversion.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { LAG_SUMMARY_COLUMNS, type LagSummaryRow, type RunDiagnostics, type RunResult } from '../../../../src-shared/results';
import { SUMMARY_COLUMNS, type SummaryRow } from '../../../../src-workers/engine/diagnostics/run-diagnostics';
import type { RunUnitOutput, UnitDiagnostics } from '../../../../src-workers/tasks/protocol';
import type { writeDiagnostics } from '../../results-writer';

describe('result types line up with the worker and the writers', () => {
  it('RunUnitOutput is a RunResult; UnitDiagnostics and RunDiagnostics are interchangeable', () => {
    expectTypeOf<RunUnitOutput>().toExtend<RunResult>();
    expectTypeOf<UnitDiagnostics>().toExtend<RunDiagnostics>();
    expectTypeOf<RunDiagnostics>().toExtend<UnitDiagnostics>();
    expectTypeOf<RunDiagnostics>().toExtend<Parameters<typeof writeDiagnostics>[3]>();
    expectTypeOf<SummaryRow>().toEqualTypeOf<LagSummaryRow>();
  });

  it('no field of a worker output goes unstored (a new field fails here until the store keeps it)', () => {
    expectTypeOf<keyof RunUnitOutput>().toEqualTypeOf<keyof RunResult | 'arch' | 'seed'>();
    expectTypeOf<keyof UnitDiagnostics>().toEqualTypeOf<keyof RunDiagnostics>();
  });

  it('the summary columns are the same, in the same order', () => {
    expect([...LAG_SUMMARY_COLUMNS]).toEqual([...SUMMARY_COLUMNS]);
  });
});
