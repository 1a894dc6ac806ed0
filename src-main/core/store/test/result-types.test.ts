/**
 * Compile-time contract (checked by `tsc` and vitest's typecheck helpers):
 * what a pool worker returns is a RunResult the store accepts, and the
 * diagnostics the store gives back are what the result-file writers accept,
 * so results flow worker → store → files without conversion. The row,
 * diagnostics and fit types have one definition (src-shared/results.ts),
 * which the engine, the worker protocol and the writers all use.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { LAG_SUMMARY_COLUMNS, type LagSummaryRow, type RunDiagnostics, type RunResult } from '../../../../src-shared/results';
import type { DiagnosticsResult } from '../../../../src-workers/engine/diagnostics/run-diagnostics';
import type { analyseRun } from '../../../../src-workers/tasks/analyse-run';
import type { RunUnitOutput } from '../../../../src-workers/tasks/protocol';
import type { writeDiagnostics, writeSummary } from '../../results-writer';

describe('result types line up with the worker and the writers', () => {
  it('RunUnitOutput is a RunResult; the worker\'s diagnostics are the stored RunDiagnostics the writers accept', () => {
    expectTypeOf<RunUnitOutput>().toExtend<RunResult>();
    expectTypeOf<Awaited<ReturnType<typeof analyseRun>>>().toEqualTypeOf<RunDiagnostics>();
    expectTypeOf<RunDiagnostics>().toExtend<Parameters<typeof writeDiagnostics>[3]>();
    expectTypeOf<DiagnosticsResult['summary'][number]>().toEqualTypeOf<LagSummaryRow>();
    expectTypeOf<LagSummaryRow>().toExtend<Parameters<typeof writeSummary>[3][number]>();
  });

  it('no field of a worker output goes unstored (a new field fails here until the store keeps it)', () => {
    // backendNote (why a webgpu run fell back to the CPU) is stored as a 'backend' event of the run's log,
    // kernelNote (why a webgpu run did not use its stored kernel tuning) as a 'kernel' event
    expectTypeOf<keyof RunUnitOutput>().toEqualTypeOf<keyof RunResult | 'arch' | 'seed' | 'backendNote' | 'kernelNote'>();
  });

  it('the summary columns are exactly the fields of a summary row', () => {
    expect(new Set(LAG_SUMMARY_COLUMNS).size).toBe(LAG_SUMMARY_COLUMNS.length);
    expectTypeOf<(typeof LAG_SUMMARY_COLUMNS)[number]>().toEqualTypeOf<keyof LagSummaryRow>();
  });
});
