#!/usr/bin/env node
// `lw` launcher: Node 20 cannot run TypeScript, so load the CLI through tsx's
// scoped loader (no global hooks, no child process). Pool workers load their
// own TypeScript the same way (src-workers/tasks/run-unit-worker.mjs).
import { tsImport } from 'tsx/esm/api';

const { runCli } = await tsImport('../src-main/cli/lw.ts', import.meta.url);
process.exitCode = await runCli(process.argv.slice(2));
