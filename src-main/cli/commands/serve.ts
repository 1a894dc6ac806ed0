/**
 * `lw serve [--port N] [--host H] [--data-dir D] [--workers N] [--gpu-runs N] [--static-dir D]`
 *
 * Starts the service (store + scheduler) and the local web host, prints the
 * address to open (with its access token) as the one line of stdout, and
 * runs until SIGINT/SIGTERM, then shuts down cleanly: the web host stops
 * accepting, running runs are handed back as interrupted (resumable), the
 * database is closed. A second Ctrl-C exits at once.
 *
 * The token is random for every start unless $LW_TOKEN is set (≥ 16
 * characters; for scripted clients such as end-to-end tests). Binding
 * anything but a loopback address makes the host reachable from other
 * machines: allowed, with a warning (the token still guards every call).
 *
 * Exit codes: 0 stopped by a signal, 1 could not start, 2 invalid options.
 */
import type { Command } from 'commander';
import type { WebHost, WebHostService } from '../../server/web-host';
import { GPU_RUNS_HELP, parseGpuRuns } from '../gpu-runs';
import type { CliIO } from '../io';
import { parseWorkers, SERVE_WORKERS_HELP } from '../workers-option';

export const EXIT_OK = 0;
export const EXIT_START_FAILED = 1;
export const EXIT_USAGE = 2;

export interface ServeCommandOptions {
  port?: string;
  host?: string;
  dataDir?: string;
  workers?: string;
  gpuRuns?: string;
  staticDir?: string;
}

/** The service as `lw serve` needs it (src-main/core/service.ts createService). */
export interface ServeService extends WebHostService {
  close(): Promise<void>;
}

export interface ServeDeps {
  createService(opts: { dataDir: string; workers?: number; gpuRuns?: number; host: 'web'; warn: (m: string) => void }): ServeService | Promise<ServeService>;
  /** resolves the data directory (default: the store's rules: option > $LW_DATA_DIR > XDG > home) */
  resolveDataDir?(dataDir: string | undefined): string;
  env?: Readonly<Record<string, string | undefined>>;
  /** resolves when the server should stop (tests); by default SIGINT/SIGTERM through io.onInterrupt */
  stopSignal?: Promise<void>;
  /** called once listening (tests) */
  onListening?(host: WebHost): void;
}

type Parsed = { ok: true; port: number; host: string; workers?: number; gpuRuns?: number } | { ok: false; message: string };

export function parseServeOptions(opts: ServeCommandOptions): Parsed {
  let port = 0;
  if (opts.port !== undefined) {
    if (!/^\d{1,5}$/.test(opts.port.trim()) || Number(opts.port) > 65535) {
      return { ok: false, message: `--port must be an integer from 0 to 65535 (0: a free port), got '${opts.port}'` };
    }
    port = Number(opts.port);
  }
  const host = (opts.host ?? '127.0.0.1').trim();
  if (host === '' || /[\s/]/.test(host)) return { ok: false, message: `--host must be an interface address such as 127.0.0.1, got '${opts.host}'` };
  let workers: number | undefined;
  if (opts.workers !== undefined) {
    const w = parseWorkers(opts.workers, { allowInProcess: false });
    if (!w.ok) return { ok: false, message: w.message };
    workers = w.workers;
  }
  let gpuRuns: number | undefined;
  if (opts.gpuRuns !== undefined) {
    const g = parseGpuRuns(opts.gpuRuns);
    if (!g.ok) return { ok: false, message: g.message };
    gpuRuns = g.gpuRuns;
  }
  return { ok: true, port, host, ...(workers !== undefined ? { workers } : {}), ...(gpuRuns !== undefined ? { gpuRuns } : {}) };
}

async function defaultDeps(): Promise<Pick<ServeDeps, 'createService' | 'resolveDataDir'>> {
  const [{ createService }, { resolveDataDir }] = await Promise.all([import('../../core/service'), import('../../core/store/data-dir')]);
  return {
    createService: (o) => createService(o),
    resolveDataDir: (d) => resolveDataDir({ dataDir: d }).dir,
  };
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Run `lw serve` until stopped; resolves to the exit code. */
export async function serve(opts: ServeCommandOptions, io: CliIO, deps?: ServeDeps): Promise<number> {
  const parsed = parseServeOptions(opts);
  if (!parsed.ok) {
    io.err(`lw serve: ${parsed.message}`);
    return EXIT_USAGE;
  }
  const env = deps?.env ?? process.env;
  const token = env.LW_TOKEN?.trim() || undefined;
  if (token !== undefined && token.length < 16) {
    io.err('lw serve: $LW_TOKEN must have at least 16 characters');
    return EXIT_USAGE;
  }
  const base = deps ?? (await defaultDeps());
  const resolveDir = base.resolveDataDir ?? (await defaultDeps()).resolveDataDir!;
  const dataDir = resolveDir(opts.dataDir);

  const { startWebHost, isLoopbackHost } = await import('../../server/index');
  let service: ServeService;
  try {
    service = await base.createService({
      dataDir, host: 'web', warn: (m) => io.err(`lw serve: ${m}`),
      ...(parsed.workers !== undefined ? { workers: parsed.workers } : {}),
      ...(parsed.gpuRuns !== undefined ? { gpuRuns: parsed.gpuRuns } : {}),
    });
  } catch (err) {
    io.err(`lw serve: cannot open the workstation data in ${dataDir}: ${message(err)}`);
    return EXIT_START_FAILED;
  }

  let host: WebHost;
  try {
    host = await startWebHost({
      service, host: parsed.host, port: parsed.port,
      ...(token !== undefined ? { token } : {}),
      ...(opts.staticDir !== undefined ? { staticDir: opts.staticDir } : {}),
      onInternalError: (err, where) => io.err(`lw serve: internal error in ${where}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`),
    });
  } catch (err) {
    const e = err as { code?: string };
    const why = e.code === 'EADDRINUSE' ? `port ${parsed.port} is in use (use --port 0 for a free one)` : message(err);
    io.err(`lw serve: cannot listen on ${parsed.host}:${parsed.port}: ${why}`);
    await service.close().catch(() => {});
    return EXIT_START_FAILED;
  }

  if (!isLoopbackHost(parsed.host)) {
    io.err(`lw serve: WARNING: listening on ${parsed.host}: other machines can reach this host; anyone with the token has full access`);
  }
  io.err(`lw serve: data in ${dataDir}`);
  io.err(host.staticDir
    ? `lw serve: serving the user interface from ${host.staticDir}`
    : 'lw serve: the user interface is not built (npm run build:desktop); the page says so, the API works');
  io.err('lw serve: open this address (it holds the access token); Ctrl-C stops');
  io.out(host.url);
  deps?.onListening?.(host);

  let stopListening: (() => void) | undefined;
  await new Promise<void>((resolve) => {
    let stopping = false;
    stopListening = io.onInterrupt?.(() => {
      if (stopping) return false; // a second interrupt: exit at once
      stopping = true;
      io.err('lw serve: stopping (Ctrl-C again to exit at once)');
      resolve();
      return true; // keep listening until the shutdown is done, so a second Ctrl-C still exits
    });
    void deps?.stopSignal?.then(() => resolve());
  });

  let code = EXIT_OK;
  try {
    await host.close();
  } catch (err) {
    io.err(`lw serve: closing the web host: ${message(err)}`);
    code = EXIT_START_FAILED;
  }
  try {
    await service.close();
  } catch (err) {
    io.err(`lw serve: closing the service: ${message(err)}`);
    code = EXIT_START_FAILED;
  }
  stopListening?.();
  io.err('lw serve: stopped');
  return code;
}

export function register(program: Command, io: CliIO): void {
  program
    .command('serve')
    .description('serve the workstation to a browser on this machine (prints the address with its access token)')
    .option('--port <N>', 'TCP port, 0 for a free one', '0')
    .option('--host <H>', 'interface to bind (anything but loopback is reachable from other machines)', '127.0.0.1')
    .option('--data-dir <D>', 'data directory (default: $LW_DATA_DIR, else $XDG_DATA_HOME/learnability-workstation, else ~/.local/share/learnability-workstation)')
    .option('--workers <N>', SERVE_WORKERS_HELP)
    .option('--gpu-runs <N>', GPU_RUNS_HELP)
    .option('--static-dir <D>', 'folder of the built user interface (default: out/renderer)')
    .action(async (opts: ServeCommandOptions) => {
      io.setExitCode(await serve(opts, io));
    });
}
