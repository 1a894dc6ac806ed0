/**
 * `lw import`: a reference results folder becomes an experiment (its id the
 * last line of stdout, warnings on stderr); a corrupt folder is refused with
 * each problem's file and line, exit 1, nothing stored.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../../core/store';
import { put, writeReferenceFolder } from '../../core/imports/test/fixtures';
import { memoryIO } from '../io';
import { runCli } from '../lw';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lw-import-cli-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('lw import', () => {
  it('imports a folder: the experiment id is the last line of stdout', async () => {
    const results = join(dir, 'results');
    writeReferenceFolder(results);
    const data = join(dir, 'data');
    const io = memoryIO();
    const code = await runCli(['import', results, '--name', 'from the reference', '--data-dir', data], io);
    expect(code).toBe(0);
    const id = Number(io.stdout.at(-1));
    expect(Number.isInteger(id) && id > 0).toBe(true);
    expect(io.stderr).toContain('lw import: warning: cli_args.csv: ignored 2 arguments the workstation does not have: out_dir, device');
    expect(io.stderr.at(-1)).toMatch(new RegExp(`^lw import: experiment ${id} "from the reference": 2 done, 1 diverged, 1 failed of 4 \\(const,gru × seeds 212,1001\\)`));
    const store = openStore({ dataDir: data });
    try {
      const e = store.getExperiment(id)!;
      expect([e.name, e.source, e.runs.every((r) => r.imported)]).toEqual(['from the reference', results, true]);
    } finally {
      store.close();
    }
  });

  it('refuses a corrupt folder: exit 1, every problem with its file and line, nothing stored', async () => {
    const results = join(dir, 'results');
    writeReferenceFolder(results);
    put(results, 'seed_212/gru/gru_H_N.csv', 'N,H_N\n25,four\n');
    put(results, 'seed_212/gru/gate_stats_gru.csv', 'epoch,metric\n0,z_mean\n');
    const data = join(dir, 'data');
    const io = memoryIO();
    expect(await runCli(['import', results, '--data-dir', data], io)).toBe(1);
    expect(io.stdout).toEqual([]);
    expect(io.stderr).toEqual([
      `lw import: cannot import ${results} (2 problems); nothing was stored`,
      '  seed_212/gru/gate_stats_gru.csv line 1: the header lacks the column value (expected epoch,metric,value; got epoch,metric)',
      '  seed_212/gru/gru_H_N.csv line 2, column 2 (H_N): "four" is not an integer',
    ]);
    const store = openStore({ dataDir: data });
    try {
      expect(store.listExperiments().total).toBe(0);
    } finally {
      store.close();
    }
  });

  it('a path that is missing, and a missing argument (usage)', async () => {
    const io = memoryIO();
    expect(await runCli(['import', join(dir, 'nope'), '--data-dir', join(dir, 'data')], io)).toBe(1);
    expect(io.stderr[1]).toBe(`  ${join(dir, 'nope')} does not exist`);
    expect(await runCli(['import'], memoryIO())).toBe(2);
  });
});
