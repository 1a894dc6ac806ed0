import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_WORKERS } from '../core/scheduler';
import { parseServeOptions } from './commands/serve';
import { memoryIO } from './io';
import { runCli } from './lw';
import { parseWorkers, SERVE_WORKERS_HELP, WORKERS_HELP } from './workers-option';

const IN_PROCESS = { allowInProcess: true };
const POOL_ONLY = { allowInProcess: false };

describe('parseWorkers', () => {
  it('the bound is the scheduler\'s (256), stated in both help texts', () => {
    expect(MAX_WORKERS).toBe(256);
    expect(WORKERS_HELP).toContain('0 to 256');
    expect(WORKERS_HELP).toContain('in-process');
    expect(SERVE_WORKERS_HELP).toContain('1 to 256');
    expect(SERVE_WORKERS_HELP).not.toContain('in-process');
  });

  it('accepts both ends of the range, trimmed', () => {
    expect(parseWorkers('0', IN_PROCESS)).toEqual({ ok: true, workers: 0 });
    expect(parseWorkers('1', IN_PROCESS)).toEqual({ ok: true, workers: 1 });
    expect(parseWorkers('256', IN_PROCESS)).toEqual({ ok: true, workers: 256 });
    expect(parseWorkers(' 3\t', IN_PROCESS)).toEqual({ ok: true, workers: 3 });
    expect(parseWorkers('1', POOL_ONLY)).toEqual({ ok: true, workers: 1 });
    expect(parseWorkers('256', POOL_ONLY)).toEqual({ ok: true, workers: 256 });
    expect(parseWorkers(' 8 ', POOL_ONLY)).toEqual({ ok: true, workers: 8 });
  });

  it('refuses non-integers and out-of-range values, naming the flag, the range and the text as given', () => {
    for (const bad of ['257', '1000', '99999999999999999999', '-1', '2.5', '', '  ', '1e3', '0x10', '+2', 'two', '3 4', 'Infinity']) {
      expect(parseWorkers(bad, IN_PROCESS)).toEqual({
        ok: false, message: `--workers must be an integer from 0 to 256 (0 runs in-process; got ${JSON.stringify(bad)})`,
      });
      expect(parseWorkers(bad, POOL_ONLY)).toEqual({
        ok: false, message: `--workers must be an integer from 1 to 256 (got ${JSON.stringify(bad)})`,
      });
    }
    // 0 only where in-process runs are allowed
    expect(parseWorkers('0', POOL_ONLY)).toEqual({ ok: false, message: '--workers must be an integer from 1 to 256 (got "0")' });
    expect(parseWorkers(' 0 ', POOL_ONLY)).toEqual({ ok: false, message: '--workers must be an integer from 1 to 256 (got " 0 ")' });
  });
});

describe('--workers on the command line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lw-workers-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function cli(...argv: string[]) {
    const io = memoryIO();
    const code = await runCli(argv, io);
    return { code, stdout: io.stdout.join('\n'), stderr: io.stderr };
  }

  it('lw run and lw resume refuse a bad value with exit 2 and the same line', async () => {
    for (const bad of ['257', '-1', '2.5', 'two']) {
      const msg = `--workers must be an integer from 0 to 256 (0 runs in-process; got ${JSON.stringify(bad)})`;
      const run = await cli('run', '--preset', 'smoke', '--dry-run', '--workers', bad);
      expect([run.code, run.stderr]).toEqual([2, [`lw run: ${msg}`]]);
      const resume = await cli('resume', '--data-dir', join(dir, 'none'), '--workers', bad);
      expect([resume.code, resume.stderr]).toEqual([2, [`lw resume: ${msg}`]]);
    }
  });

  it('lw serve refuses 0 and bad values with exit 2, before opening anything', async () => {
    for (const bad of ['0', '257', '2.5', 'two']) {
      const msg = `--workers must be an integer from 1 to 256 (got ${JSON.stringify(bad)})`;
      expect(parseServeOptions({ workers: bad })).toEqual({ ok: false, message: msg });
      const serve = await cli('serve', '--data-dir', join(dir, 'none'), '--workers', bad);
      expect([serve.code, serve.stderr]).toEqual([2, [`lw serve: ${msg}`]]);
    }
  });

  it('good values: lw run --dry-run shows them (0 and 256 included); lw serve passes 1 and 256 on', async () => {
    for (const [text, n] of [['0', 0], [' 256 ', 256], ['2', 2]] as const) {
      const d = await cli('run', '--preset', 'smoke', '--dry-run', '--workers', text);
      expect([d.code, d.stderr, JSON.parse(d.stdout).workers]).toEqual([0, [], n]);
    }
    expect(parseServeOptions({ workers: '1' })).toEqual({ ok: true, port: 0, host: '127.0.0.1', workers: 1 });
    expect(parseServeOptions({ workers: ' 256 ' })).toEqual({ ok: true, port: 0, host: '127.0.0.1', workers: 256 });
  });

  it('the three commands\' help describe the flag with the shared text', async () => {
    const flat = (s: string) => s.replace(/\s+/g, ' ');
    for (const [cmd, help] of [['run', WORKERS_HELP], ['resume', WORKERS_HELP], ['serve', SERVE_WORKERS_HELP]] as const) {
      const h = await cli(cmd, '--help');
      expect(h.code).toBe(0);
      expect(flat(h.stdout)).toContain(flat(help));
    }
  });
});
