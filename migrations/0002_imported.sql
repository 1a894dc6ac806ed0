-- 0002_imported: experiments and runs imported from result files (the
-- reference pipeline's folders, or our own ZIP exports) instead of run here
-- (src-main/core/imports). Applied by src-main/core/store/db.ts in one
-- transaction, which then sets PRAGMA user_version = 2. Existing rows keep
-- every value: they were run here (imported 0, source NULL).

-- the folder or .zip an experiment was imported from; NULL when it was run here
ALTER TABLE experiments ADD COLUMN source TEXT;

-- 1 when the run's rows came from imported files (it cannot be queued again)
ALTER TABLE runs ADD COLUMN imported INTEGER NOT NULL DEFAULT 0 CHECK (imported IN (0, 1));

-- where in the import the run's files were (e.g. seed_212/gru); NULL when run here
ALTER TABLE runs ADD COLUMN source TEXT;
