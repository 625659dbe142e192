-- The sweeper reads the jobs still queued, oldest first: a small partial index (a job leaves
-- it when it ends).
CREATE INDEX scan_jobs_queued ON scan_jobs (created_at) WHERE status = 'queued';
