-- 0001_initial: the first schema of the workstation store (DESIGN.md §4).
--
-- Applied by src-main/core/store/db.ts in one transaction, which then sets
-- PRAGMA user_version = 1. Every table is STRICT (values keep their declared
-- type; a wrong type is an error, not a silent conversion).
--
-- Numbers (src-main/core/store/numbers.ts): REAL columns hold IEEE doubles;
-- NaN is stored as NULL (SQLite cannot hold NaN), +Infinity and -Infinity as
-- SQLite's own infinite REALs; negative zero reads back as 0. Integer-valued
-- result columns (counts, N, lags) are INTEGER with the same NULL = NaN rule.
-- Per-unit envelopes are BLOBs of little-endian float64 with their length in
-- a column, bit for bit. Times are milliseconds since the Unix epoch.

PRAGMA application_id = 1280791363; -- 0x4C575343, "LWSC"

-- ---------------------------------------------------------------------------
-- Experiments
-- ---------------------------------------------------------------------------

CREATE TABLE experiments (
  id                INTEGER PRIMARY KEY,
  name              TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  -- the validated, complete configuration (src-shared/config.ts parseConfig)
  config_json       TEXT    NOT NULL CHECK (json_valid(config_json)),
  preset            TEXT,
  notes             TEXT    NOT NULL DEFAULT '',
  app_version       TEXT    NOT NULL,
  created_at        INTEGER NOT NULL,
  finished_at       INTEGER,
  -- columns users filter on, copied from the configuration
  models            TEXT    NOT NULL, -- comma-separated, configuration order
  seeds             TEXT    NOT NULL, -- comma-separated, configuration order
  n_runs            INTEGER NOT NULL,
  optimizer         TEXT    NOT NULL,
  alpha_method      TEXT    NOT NULL,
  backend           TEXT    NOT NULL,
  T                 INTEGER NOT NULL,
  D                 INTEGER NOT NULL,
  H                 INTEGER NOT NULL,
  Nseq_train        INTEGER NOT NULL,
  Nseq_diag         INTEGER NOT NULL,
  epochs            INTEGER NOT NULL,
  batch_size        INTEGER NOT NULL,
  lr                REAL    NOT NULL,
  weight_decay      REAL    NOT NULL,
  lag_min           INTEGER NOT NULL,
  lag_max           INTEGER NOT NULL,
  num_lags          INTEGER NOT NULL,
  const_s           REAL    NOT NULL,
  layernorm         INTEGER NOT NULL CHECK (layernorm IN (0, 1)),
  orth_init         INTEGER NOT NULL CHECK (orth_init IN (0, 1))
) STRICT;

CREATE INDEX experiments_created ON experiments (created_at, id);
CREATE INDEX experiments_name ON experiments (name COLLATE NOCASE);
CREATE INDEX experiments_shape ON experiments (H, T);
CREATE INDEX experiments_optimizer ON experiments (optimizer);

CREATE TABLE experiment_tags (
  experiment_id     INTEGER NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
  tag               TEXT    NOT NULL CHECK (length(tag) BETWEEN 1 AND 64),
  PRIMARY KEY (experiment_id, tag)
) STRICT, WITHOUT ROWID;

CREATE INDEX experiment_tags_tag ON experiment_tags (tag, experiment_id);

-- ---------------------------------------------------------------------------
-- Runs: one per (architecture, seed)
-- ---------------------------------------------------------------------------

CREATE TABLE runs (
  id                INTEGER PRIMARY KEY,
  experiment_id     INTEGER NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
  idx               INTEGER NOT NULL, -- expandRuns order
  arch              TEXT    NOT NULL CHECK (arch IN ('const', 'shared', 'diag', 'gru', 'lstm')),
  seed              INTEGER NOT NULL,
  status            TEXT    NOT NULL DEFAULT 'queued'
                    CHECK (status IN ('queued', 'running', 'done', 'failed', 'diverged', 'cancelled', 'interrupted')),
  backend           TEXT    NOT NULL, -- asked for
  kernels           TEXT,             -- used
  attempts          INTEGER NOT NULL DEFAULT 0,
  created_at        INTEGER NOT NULL,
  started_at        INTEGER,
  finished_at       INTEGER,
  wall_ms           REAL,
  train_ms          REAL,
  diagnostics_ms    REAL,
  error             TEXT,
  -- the scalars of the stored result (NULL until one is stored)
  result_saved_at   INTEGER,
  diverged          INTEGER CHECK (diverged IN (0, 1)),
  diverged_epoch    INTEGER,
  cancelled         INTEGER CHECK (cancelled IN (0, 1)),
  diagnostics_status TEXT   CHECK (diagnostics_status IN ('done', 'skipped', 'cancelled', 'failed')),
  diagnostics_error TEXT,
  -- sequences per diagnostic batch; not NULL exactly when diagnostics are stored
  diagnostics_batch_size INTEGER,
  UNIQUE (experiment_id, idx),
  UNIQUE (experiment_id, arch, seed)
) STRICT;

CREATE INDEX runs_status ON runs (status);
CREATE INDEX runs_experiment_status ON runs (experiment_id, status);

CREATE TABLE run_events (
  id                INTEGER PRIMARY KEY,
  run_id            INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  at                INTEGER NOT NULL,
  kind              TEXT    NOT NULL,
  message           TEXT    NOT NULL DEFAULT '',
  data_json         TEXT    CHECK (data_json IS NULL OR json_valid(data_json))
) STRICT;

CREATE INDEX run_events_run ON run_events (run_id, id);

-- ---------------------------------------------------------------------------
-- Training rows (SCIENCE.md §3, §8)
-- ---------------------------------------------------------------------------

-- <model>_learning_curve.csv; appended live while the run trains
CREATE TABLE learning_curve (
  run_id            INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  epoch             INTEGER NOT NULL,
  train_loss        REAL,
  train_acc         REAL,
  val_loss          REAL,
  val_acc           REAL,
  PRIMARY KEY (run_id, epoch)
) STRICT, WITHOUT ROWID;

-- gate_stats_<model>.csv (idx keeps the file's row order)
CREATE TABLE gate_stats (
  run_id            INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  idx               INTEGER NOT NULL,
  epoch             INTEGER NOT NULL,
  metric            TEXT    NOT NULL,
  value             REAL,
  PRIMARY KEY (run_id, idx)
) STRICT, WITHOUT ROWID;

-- ---------------------------------------------------------------------------
-- Diagnostics and fits (SCIENCE.md §4-§6, §8)
-- ---------------------------------------------------------------------------

-- <model>_summary.csv, every column (idx keeps the lag order)
CREATE TABLE lag_summary (
  run_id            INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  idx               INTEGER NOT NULL,
  ell               INTEGER NOT NULL,
  mu_l1_mean        REAL,
  log_mu_l1_mean    REAL,
  alpha_hat         REAL,
  sigma_alpha_hat   REAL,
  N_required_at_eps INTEGER,
  best_snr          REAL,
  err_at_best_snr   REAL,
  best_N_for_ell    INTEGER,
  mbar_scalar       REAL,
  alpha_reliable    INTEGER NOT NULL CHECK (alpha_reliable IN (0, 1)),
  alpha_method      TEXT    NOT NULL,
  n_samples         INTEGER,
  PRIMARY KEY (run_id, idx)
) STRICT, WITHOUT ROWID;

-- <model>_mu_units.csv: μ_q(ℓ) for q = 0..n_units-1 as float64 little-endian
-- (one row per lag of the grid, idx in lag order; these rows also hold the grid).
-- A rowid table on purpose: a WITHOUT ROWID row keeps at most ~1000 bytes in
-- its page, so H = 128 (1 KiB) would spill every row to an overflow page.
CREATE TABLE unit_envelopes (
  run_id            INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  idx               INTEGER NOT NULL,
  ell               INTEGER NOT NULL,
  n_units           INTEGER NOT NULL CHECK (n_units >= 0),
  mu                BLOB    NOT NULL CHECK (length(mu) = 8 * n_units),
  PRIMARY KEY (run_id, idx)
) STRICT;

-- <model>_tau_from_mu_units.csv
CREATE TABLE unit_tau (
  run_id            INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  idx               INTEGER NOT NULL,
  unit_id           INTEGER NOT NULL,
  tau               REAL,
  C                 REAL,
  a                 REAL,
  b                 REAL,
  r2                REAL,
  num_points        INTEGER,
  PRIMARY KEY (run_id, idx)
) STRICT, WITHOUT ROWID;

-- <model>_envelope_fits.json
CREATE TABLE envelope_fits (
  run_id            INTEGER PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
  exp_a             REAL,
  exp_b             REAL,
  exp_r2            REAL,
  exp_tau_env       REAL,
  power_c           REAL,
  power_d           REAL,
  power_r2          REAL,
  log_e             REAL,
  log_g             REAL,
  log_r2            REAL,
  best              TEXT    NOT NULL CHECK (best IN ('exp', 'power', 'log'))
) STRICT;

-- <model>_H_N.csv
CREATE TABLE h_n (
  run_id            INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  idx               INTEGER NOT NULL,
  N                 INTEGER NOT NULL,
  H_N               INTEGER,
  PRIMARY KEY (run_id, idx)
) STRICT, WITHOUT ROWID;

-- <model>_master_fit.json: the fit (skipped NULL) or why it was skipped
CREATE TABLE master_fits (
  run_id            INTEGER PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
  slope             REAL,
  intercept         REAL,
  r2                REAL,
  n                 INTEGER,
  skipped           TEXT
) STRICT;

-- const_tau_const.json (const runs only)
CREATE TABLE const_tau (
  run_id            INTEGER PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
  s                 REAL,
  leak              REAL,
  tau               REAL
) STRICT;
