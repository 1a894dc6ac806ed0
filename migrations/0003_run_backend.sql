-- 0003_run_backend: the backend each run executed on (issue 6). `runs.backend`
-- keeps what the configuration asked for (auto, cpu or webgpu); these columns
-- say what was used. Applied by src-main/core/store/db.ts in one transaction,
-- which then sets PRAGMA user_version = 3. Existing rows keep every value and
-- read NULL here (unknown: every run before this version used the CPU, but
-- nothing recorded it).

-- cpu or webgpu: set when the run starts (the host's resolution of `backend`),
-- then from its result (a webgpu run of `auto` may have fallen back to cpu)
ALTER TABLE runs ADD COLUMN backend_used TEXT CHECK (backend_used IS NULL OR backend_used IN ('cpu', 'webgpu'));

-- webgpu runs: the adapter's description (e.g. "NVIDIA H100 80GB HBM3"); else NULL
ALTER TABLE runs ADD COLUMN adapter TEXT;
