/**
 * summarize-measurement: a results folder as markdown. Checked on the
 * committed H200 folder (docs/measurements/2026-11-28-h200-resident, whose
 * second-unroll file is the older `bench-webgpu-paper-rolled.json`) and on a
 * copy laid out as run.sh all writes it now (`-unrolled`): the table's cells
 * are the files' epoch medians, the row label names the file's unroll, and
 * the 1 s verdict follows the slowest architecture.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { summarize } from './summarize-measurement';

const DIR = resolve(__dirname, '../../docs/measurements/2026-11-28-h200-resident');
const ARCHS = ['const', 'shared', 'diag', 'gru', 'lstm'];

function medians(file: string): string[] {
  const j = JSON.parse(readFileSync(file, 'utf8')) as { results: { arch: string; epoch_median_s: number }[] };
  return ARCHS.map((a) => j.results.find((r) => r.arch === a)!.epoch_median_s.toFixed(3));
}

function rowOf(md: string, label: string): string[] {
  const line = md.split('\n').find((l) => l.startsWith(`| ${label} |`));
  expect(line, `a row '${label}'`).toBeDefined();
  return line!.split('|').slice(2, -1).map((c) => c.trim());
}

describe('summarize-measurement', () => {
  const now = mkdtempSync(join(tmpdir(), 'lw-summary-'));
  for (const f of ['bench-webgpu-paper.json', 'bench-webgpu-paper-tuned.json', 'bench-gpu-tune.json', 'bench-webgpu.json', 'bench-cpu.json']) {
    copyFileSync(join(DIR, f), join(now, f));
  }
  copyFileSync(join(DIR, 'shapes/paper-u1.json'), join(now, 'bench-webgpu-paper-unrolled.json'));
  afterAll(() => rmSync(now, { recursive: true, force: true }));

  it('an older folder: the rolled loops row from bench-webgpu-paper-rolled.json', () => {
    const md = summarize(DIR);
    expect(rowOf(md, 'default kernels')).toEqual(medians(join(DIR, 'bench-webgpu-paper.json')));
    expect(rowOf(md, 'rolled loops (`--gpu-unroll 1`)')).toEqual(medians(join(DIR, 'bench-webgpu-paper-rolled.json')));
    expect(md).not.toContain('unrolled loops');
  });

  it('a folder of today\'s run.sh all: the unrolled loops row from bench-webgpu-paper-unrolled.json', () => {
    const md = summarize(now);
    expect(rowOf(md, 'unrolled loops (`--gpu-unroll auto`)')).toEqual(medians(join(now, 'bench-webgpu-paper-unrolled.json')));
    expect(rowOf(md, 'the sweep\'s shapes')).toEqual(medians(join(now, 'bench-webgpu-paper-tuned.json')));
    expect(md).not.toContain('rolled loops (`--gpu-unroll 1`)');
  });

  it('the verdict follows the slowest epoch: within 1 s, not within 0.5 s', () => {
    const slowest = Math.max(...medians(join(DIR, 'bench-webgpu-paper.json')).map(Number));
    expect(slowest).toBeGreaterThan(0.5);
    expect(slowest).toBeLessThan(1);
    expect(summarize(DIR, 1)).toContain('with the default kernels YES');
    expect(summarize(DIR, 0.5)).toContain('with the default kernels no');
  });
});
