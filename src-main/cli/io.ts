import type { WebGpuProbe } from '../../src-workers/backends/select';

/**
 * What a command may do to the outside world, so commands can be run and
 * tested in-process: write lines, set the exit code, hear interrupts, see
 * the WebGPU adapter.
 */
export interface CliIO {
  /** a line on stdout (results) */
  out(line: string): void;
  /** a line on stderr (progress, warnings, errors) */
  err(line: string): void;
  setExitCode(code: number): void;
  /**
   * Listen for interrupts (Ctrl-C). The handler returns false to ask for an
   * immediate exit. Returns a function that stops listening.
   */
  onInterrupt?(handler: () => boolean): () => void;
  /** WebGPU adapter detection (default: probeWebGpu, in a child process; tests pass fakes) */
  webgpuProbe?: () => Promise<WebGpuProbe>;
}

/** stdout/stderr/SIGINT of this process; the exit code is returned by exitCode(). */
export function processIO(): CliIO & { exitCode(): number | undefined } {
  let code: number | undefined;
  return {
    out: (line) => void process.stdout.write(`${line}\n`),
    err: (line) => void process.stderr.write(`${line}\n`),
    setExitCode: (c) => void (code = c),
    exitCode: () => code,
    onInterrupt(handler) {
      const h = () => {
        if (!handler()) process.exit(130);
      };
      process.on('SIGINT', h);
      process.on('SIGTERM', h);
      return () => {
        process.off('SIGINT', h);
        process.off('SIGTERM', h);
      };
    },
  };
}

/** Collects lines and the exit code (tests). */
export function memoryIO(): CliIO & { stdout: string[]; stderr: string[]; code: number | undefined } {
  const io = {
    stdout: [] as string[],
    stderr: [] as string[],
    code: undefined as number | undefined,
    out: (line: string) => void io.stdout.push(line),
    err: (line: string) => void io.stderr.push(line),
    setExitCode: (c: number) => void (io.code = c),
  };
  return io;
}
