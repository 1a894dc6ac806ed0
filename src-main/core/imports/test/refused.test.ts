/**
 * Defensive parsing (DESIGN.md §5): a corrupt file, a file over the size
 * limit, a symbolic link leaving the folder, an archive entry with `..` or an
 * absolute path: each is refused with an error naming the file (and line and
 * column), and NOTHING is stored (every table byte for byte as before).
 */
import { mkdirSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { snapshot, tempStore } from '../../store/test/helpers';
import { ImportError } from '../errors';
import { importReferenceResults } from '../import';
import type { ImportLimits } from '../limits';
import { CLI_ARGS, GRU_CURVE_CSV, GRU_SUMMARY_CSV, put, writeReferenceFolder } from './fixtures';

let s: ReturnType<typeof tempStore>;
let root: string;
let before: Record<string, unknown[]>;
beforeEach(() => {
  s = tempStore();
  // an experiment already stored must stay exactly as it is
  s.store.createExperiment('kept', { models: ['gru'], seeds: [1], T: 64, lag_max: 32, task_lags: [8], task_coeffs: [0.5] });
  root = join(s.dir, 'results');
  mkdirSync(root);
  writeReferenceFolder(root);
  before = snapshot(s.store.db);
});
afterEach(() => s.cleanup());

/** The ImportError of importing `path`, after checking that nothing was stored. */
async function refused(path = root, limits: Partial<ImportLimits> = {}): Promise<ImportError> {
  let err: unknown;
  try {
    await importReferenceResults(s.store, { path }, { limits });
  } catch (e) {
    err = e;
  }
  expect(err, 'the import must be refused').toBeInstanceOf(ImportError);
  expect(snapshot(s.store.db)).toEqual(before);
  return err as ImportError;
}

describe('corrupt CSV files', () => {
  it('a wrong header: the file, line 1 and the missing column', async () => {
    put(root, 'seed_212/gru/gru_learning_curve.csv', 'epoch,train_loss,train_acc,val_loss,val_R2\n0,1,0,1,0\n');
    const e = await refused();
    expect(e.problems).toEqual([{
      file: 'seed_212/gru/gru_learning_curve.csv', line: 1,
      message: 'the header lacks the column val_acc (expected epoch,train_loss,train_acc,val_loss,val_acc; got epoch,train_loss,train_acc,val_loss,val_R2)',
    }]);
    expect(e.message).toBe(`cannot import ${root}: seed_212/gru/gru_learning_curve.csv line 1: the header lacks the column val_acc `
      + '(expected epoch,train_loss,train_acc,val_loss,val_acc; got epoch,train_loss,train_acc,val_loss,val_R2)');
  });

  it('a column twice in the header', async () => {
    put(root, 'seed_212/gru/gru_H_N.csv', 'N,H_N,N\n25,4,25\n');
    expect((await refused()).message).toContain('seed_212/gru/gru_H_N.csv line 1, column 3: column "N" appears twice in the header');
  });

  it('a non-numeric cell: the file, line, column number and name', async () => {
    put(root, 'seed_212/gru/gru_summary.csv', [
      'ell,mu_l1_mean,log_mu_l1_mean,alpha_hat,sigma_alpha_hat,N_required_at_eps,best_snr,err_at_best_snr,best_N_for_ell,mbar_scalar,alpha_reliable,alpha_method,n_samples',
      '4,0.5,-0.7,1.75,0.125,25,3.5,0.1,100,0.01,True,ecf,480',
      '13,0.25,-1.4,abc,0.25,-1,0.03125,inf,25,1e-05,False,ecf,408',
    ].join('\n'));
    const e = await refused();
    expect(e.problems).toEqual([{ file: 'seed_212/gru/gru_summary.csv', line: 3, column: 4, columnName: 'alpha_hat', message: '"abc" is not a number' }]);
    expect(e.message).toContain('seed_212/gru/gru_summary.csv line 3, column 4 (alpha_hat): "abc" is not a number');
  });

  it('a fractional integer, a bad boolean and a repeated lag', async () => {
    put(root, 'seed_212/gru/gru_H_N.csv', 'N,H_N\n25,4.5\n');
    put(root, 'seed_212/const/const_learning_curve.csv', 'epoch,train_loss,train_acc,val_loss,val_acc\n0,1,0,1,0\n0,1,0,1,0\n');
    put(root, 'seed_1001/const/const_mu_units.csv', 'ell,mu_unit_0,mu_unit_1,mu_unit_2\n4,1,2,3\n13,4,5,6\n22,7,8,9\n31,10,11,12\n');
    const e = await refused();
    expect(e.problems.map((p) => [p.file, p.line, p.column, p.message])).toEqual([
      ['seed_212/const/const_learning_curve.csv', 3, 1, 'epoch 0 appears twice (also on line 2)'],
      ['seed_212/gru/gru_H_N.csv', 2, 2, '"4.5" is not an integer'],
      ['seed_1001/const/const_mu_units.csv', 5, 1,
        'lag 31, but row 4 of seed_1001/const/const_summary.csv is lag 32 (the lags must be the same, in the same order)'],
    ]);
    expect(e.message).toMatch(/\(3 problems\):\n {2}seed_212\/const/);
  });

  it('a gate metric repeated at one epoch (the views aggregate one value per epoch and metric)', async () => {
    put(root, 'seed_212/gru/gate_stats_gru.csv', 'epoch,metric,value\n0,z_mean,0.5\n0,r_mean,0.25\n2,z_mean,0.4\n0,z_mean,0.6\n');
    expect((await refused()).problems).toEqual([{
      file: 'seed_212/gru/gate_stats_gru.csv', line: 5, column: 1, columnName: 'epoch', message: 'z_mean at epoch 0 appears twice (also on line 2)',
    }]);
  });

  it('a ragged row: the file and line', async () => {
    put(root, 'seed_212/gru/gate_stats_gru.csv', 'epoch,metric,value\n0,z_mean,0.5\n0,r_mean\n');
    expect((await refused()).problems).toEqual([{ file: 'seed_212/gru/gate_stats_gru.csv', line: 3, message: 'expected 3 cells as in the header, got 2' }]);
  });

  it('an unclosed quote, an empty file, invalid UTF-8, bad JSON', async () => {
    put(root, 'seed_212/gru/gru_tau_from_mu_units.csv', 'unit_id,tau,C,a,b,r2,num_points\n0,"16,1,0,0,1,4\n');
    put(root, 'seed_212/const/const_summary.csv', '');
    put(root, 'seed_212/const/gate_stats_const.csv', new Uint8Array([0x65, 0x70, 0xff, 0xfe, 0x0a]));
    put(root, 'seed_212/gru/gru_envelope_fits.json', '{"exp": {"a": -0.5, "b": nan}}');
    const e = await refused();
    expect(e.problems.map((p) => `${p.file}:${p.line ?? ''}:${p.column ?? ''} ${p.message}`)).toEqual([
      'seed_212/const/gate_stats_const.csv:: not a text file (invalid UTF-8)',
      'seed_212/const/const_summary.csv:: the file is empty (a header line is needed)',
      'seed_212/gru/gru_tau_from_mu_units.csv:2: not a valid CSV file (Quote Not Closed: the parsing is finished with an opening quote)',
      'seed_212/gru/gru_envelope_fits.json:1:26 not valid JSON (unexpected "n")',
    ]);
  });

  it('a missing key in a JSON file; a status file of ours that is not one', async () => {
    put(root, 'seed_212/const/const_tau_const.json', '{"s": 0.05, "leak": 0.95}');
    put(root, 'seed_212/gru/gru_status.json', '{"status": "finished", "diagnostics": "done"}');
    expect((await refused()).problems.map((p) => `${p.file}: ${p.message}`)).toEqual([
      'seed_212/const/const_tau_const.json: tau is missing',
      'seed_212/gru/gru_status.json: status must be one of done, diverged, cancelled, failed (got "finished")',
    ]);
  });

  it('a status file of ours naming an unknown backend', async () => {
    put(root, 'seed_212/gru/gru_status.json', '{"status": "done", "diagnostics": "done", "backend": "tpu", "adapter": null}');
    expect((await refused()).problems.map((p) => `${p.file}: ${p.message}`)).toEqual([
      'seed_212/gru/gru_status.json: backend must be one of cpu, webgpu (got "tpu")',
    ]);
  });

  it('cli_args.csv: a value that does not convert, a repeated argument', async () => {
    put(root, 'seed_212/cli_args.csv', CLI_ARGS.replace('T,64', 'T,long'));
    expect((await refused()).problems).toEqual([{ file: 'seed_212/cli_args.csv', message: 'the configuration is not valid: T must be an integer >= 2 (got "long")' }]);
    put(root, 'seed_212/cli_args.csv', `${CLI_ARGS}H,4\n`);
    expect((await refused()).message).toContain('seed_212/cli_args.csv line 22: H is given more than once');
  });

  it('a run without its learning curve; files of one run in two places; a seed in two folders', async () => {
    rmSync(join(root, 'seed_212/gru/gru_learning_curve.csv'));
    expect((await refused()).problems[0]!.message).toBe('no gru_learning_curve.csv beside it: every run needs its learning curve (seed_212/gru)');
    put(root, 'seed_212/gru/gru_learning_curve.csv', GRU_CURVE_CSV);
    put(root, 'seed_212/gru_learning_curve.csv', GRU_CURVE_CSV);
    expect((await refused()).message).toMatch(/a second gru_learning_curve\.csv for seed 212, model gru/);
    rmSync(join(root, 'seed_212/gru_learning_curve.csv'));
    put(root, 'old/seed_212/gru/gru_H_N.csv', 'N,H_N\n');
    expect((await refused()).message).toContain('seed_212/H_N_summary.csv: seed 212 appears in two folders (old/seed_212 and seed_212)');
  });

  it('nothing to import', async () => {
    const empty = join(s.dir, 'empty');
    put(empty, 'readme.txt', 'no results here');
    expect((await refused(empty)).message).toMatch(/no result files of the reference pipeline here/);
    expect((await refused(join(s.dir, 'absent'))).message).toBe(`cannot import ${join(s.dir, 'absent')}: ${join(s.dir, 'absent')} does not exist`);
    const text = put(s.dir, 'results.csv', GRU_CURVE_CSV);
    expect((await refused(text)).message).toMatch(/is not a folder or a \.zip archive/);
  });
});

describe('size limits', () => {
  it('a (sparse) CSV file over 64 MiB is refused before it is read', async () => {
    const big = join(root, 'seed_212/gru/gru_mu_units.csv');
    writeFileSync(big, 'ell,mu_unit_0\n');
    truncateSync(big, 64 * 1024 * 1024 + 1);
    expect((await refused()).problems).toEqual([{ file: 'seed_212/gru/gru_mu_units.csv', message: '64 MiB is over the import limit of 64 MiB for one CSV file' }]);
  });

  it('the total of the files read, and configurable limits', async () => {
    expect((await refused(root, { maxTotalBytes: 2000 })).message).toMatch(/reading it would exceed the import limit of 2 KiB in all/);
    expect((await refused(root, { maxCsvBytes: 300 })).message)
      .toContain(`seed_212/gru/gru_summary.csv: ${Buffer.byteLength(GRU_SUMMARY_CSV)} bytes is over the import limit of 300 bytes for one CSV file`);
    expect((await refused(root, { maxRows: 3 })).message).toContain('seed_212/const/const_summary.csv: more than 3 rows (the import limit)');
    expect((await refused(root, { maxEntries: 10 })).message).toContain('more than 10 files and folders (the import limit)');
    expect((await refused(root, { maxDepth: 1 })).message).toContain('seed_1001/const: folders nested deeper than 1 level (the import limit)');
  });
});

describe('size limits in an archive', () => {
  it('the declared size of an entry is checked before it is inflated', async () => {
    const zip = put(s.dir, 'big.zip', zipSync({ 'seed_1/gru/gru_learning_curve.csv': new TextEncoder().encode(GRU_CURVE_CSV + '3,0.25,0.75,0.5,0.625\n'.repeat(100)) }));
    expect((await refused(zip, { maxCsvBytes: 1000 })).message).toMatch(/seed_1\/gru\/gru_learning_curve\.csv: 2\.\d KiB is over the import limit of 1000 bytes for one CSV file/);
  });
});

describe('paths that leave the folder', () => {
  it('a symbolic link to a file outside the folder is refused', async () => {
    const outside = put(s.dir, 'elsewhere/secret.csv', GRU_CURVE_CSV);
    rmSync(join(root, 'seed_212/gru/gru_learning_curve.csv'));
    symlinkSync(outside, join(root, 'seed_212/gru/gru_learning_curve.csv'));
    expect((await refused()).problems).toEqual([{ file: 'seed_212/gru/gru_learning_curve.csv', message: `a symbolic link to ${outside}, outside the imported folder: refused` }]);
  });

  it('a symbolic link to a folder outside is refused; a link inside the folder is followed', async () => {
    put(s.dir, 'elsewhere/x.txt', '');
    symlinkSync(join(s.dir, 'elsewhere'), join(root, 'more'));
    expect((await refused()).message).toContain('more: a symbolic link to');
    rmSync(join(root, 'more'));
    symlinkSync(join(root, 'seed_212'), join(root, 'again')); // a folder inside: not followed (no alias)
    symlinkSync('gru_learning_curve.csv', join(root, 'seed_212/gru/copy.csv'));
    const e = await importReferenceResults(s.store, { path: root });
    expect(e.runs).toHaveLength(4);
  });

  it('an archive entry with ../, an absolute path, a backslash, a symbolic link: refused', async () => {
    const ok = new TextEncoder().encode(GRU_CURVE_CSV);
    const cases: [Record<string, Uint8Array | [Uint8Array, { os?: number; attrs?: number }]>, string, string][] = [
      [{ 'seed_1/gru/gru_learning_curve.csv': ok, '../evil/gru_summary.csv': ok }, '../evil/gru_summary.csv', 'refused: a ".." path segment (it would leave the folder)'],
      [{ 'a/../../gru_learning_curve.csv': ok }, 'a/../../gru_learning_curve.csv', 'refused: a ".." path segment (it would leave the folder)'],
      [{ '/etc/gru_learning_curve.csv': ok }, '/etc/gru_learning_curve.csv', 'refused: an absolute path'],
      [{ 'seed_1\\gru\\gru_learning_curve.csv': ok }, 'seed_1\\gru\\gru_learning_curve.csv', 'refused: a backslash in the name (names must use /)'],
      [{ 'seed_1/gru/gru_learning_curve.csv': [new TextEncoder().encode('/etc/passwd'), { os: 3, attrs: (0o120777 << 16) >>> 0 }] },
        'seed_1/gru/gru_learning_curve.csv', 'refused: a symbolic link'],
    ];
    for (const [files, file, message] of cases) {
      const zip = put(s.dir, 'bad.zip', zipSync(files as never));
      expect((await refused(zip)).problems).toEqual([{ file, message }]);
    }
  });

  it('a damaged archive entry (CRC), a truncated archive', async () => {
    const good = zipSync({ 'seed_1/gru/gru_learning_curve.csv': new TextEncoder().encode(GRU_CURVE_CSV) }, { level: 0 });
    const bad = good.slice();
    const at = Buffer.from(bad).indexOf('1.25');
    bad[at] = '7'.charCodeAt(0);
    expect((await refused(put(s.dir, 'crc.zip', bad))).problems).toEqual([{
      file: 'seed_1/gru/gru_learning_curve.csv', message: 'CRC-32 mismatch (damaged entry, or a size that is not its own)',
    }]);
    expect((await refused(put(s.dir, 'cut.zip', good.slice(0, good.length - 30)))).message).toMatch(/not a ZIP archive \(no end of central directory record\)/);
  });
});
