-- 0004_gpu_tunings: GPU kernel tunings (issue 6 follow-up, src-shared/gpu-tuning.ts).
-- Applied by src-main/core/store/db.ts in one transaction, which then sets
-- PRAGMA user_version = 4. Existing rows keep every value; their runs read
-- kernel_shape NULL (not recorded: every webgpu run before this version used
-- the backend's default shape, but nothing recorded which).

-- The fastest kernel shape measured on one adapter for one model shape and
-- mini-batch (src-main/core/store/gpu-tunings.ts). A new measurement of the
-- same key replaces the old row. unroll is the integer factor (1..32, 1 =
-- rolled) or the text 'auto' (per loop, from a register budget): an ANY
-- column, so each keeps its own type.
CREATE TABLE gpu_tunings (
  id                 INTEGER PRIMARY KEY,
  -- the adapter's label, as runs record it (src-workers/backends/select.ts adapterLabel)
  adapter            TEXT    NOT NULL CHECK (length(adapter) BETWEEN 1 AND 500),
  arch               TEXT    NOT NULL CHECK (arch IN ('const', 'shared', 'diag', 'gru', 'lstm')),
  D                  INTEGER NOT NULL CHECK (D >= 1),
  H                  INTEGER NOT NULL CHECK (H >= 1),
  layernorm          INTEGER NOT NULL CHECK (layernorm IN (0, 1)),
  -- the mini-batch size (batch_size)
  batch              INTEGER NOT NULL CHECK (batch >= 1),
  -- the shape: threads per workgroup (a power of two), sequences per workgroup, unroll factor
  workgroup_size     INTEGER NOT NULL CHECK (workgroup_size BETWEEN 1 AND 1024 AND (workgroup_size & (workgroup_size - 1)) = 0),
  seqs_per_workgroup INTEGER NOT NULL CHECK (seqs_per_workgroup BETWEEN 1 AND 1024),
  unroll             ANY     NOT NULL CHECK (unroll = 'auto' OR (typeof(unroll) = 'integer' AND unroll BETWEEN 1 AND 32)),
  -- median wall time of a training step with the shape / with the default shape, milliseconds
  step_ms            REAL    NOT NULL CHECK (step_ms > 0 AND step_ms < 1e300),
  default_step_ms    REAL             CHECK (default_step_ms IS NULL OR (default_step_ms > 0 AND default_step_ms < 1e300)),
  -- the sequence length the steps were timed at; configurations timed
  T                  INTEGER NOT NULL CHECK (T >= 1),
  tried              INTEGER NOT NULL CHECK (tried >= 0),
  -- when it was measured (milliseconds since the Unix epoch)
  tuned_at           INTEGER NOT NULL,
  UNIQUE (adapter, arch, D, H, layernorm, batch)
) STRICT;

-- webgpu runs: the kernel shape the stored result was computed with, as JSON
-- {"workgroupSize", "seqsPerWorkgroup", "unroll", "source": "tuned" | "default"}
-- (src-shared/gpu-tuning.ts RunKernelShape); NULL on the CPU and before this version
ALTER TABLE runs ADD COLUMN kernel_shape TEXT CHECK (kernel_shape IS NULL OR json_valid(kernel_shape));
