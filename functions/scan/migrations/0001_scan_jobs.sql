-- Scan jobs, each stage's saved output, and client idempotency keys.
-- Saved stage outputs are what make a redelivered stage skip its LLM call; the result is
-- written before `done` is emitted, so the client's single result fetch always finds it.
CREATE TABLE scan_jobs (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL,
    image_url text NOT NULL,
    image_key text NOT NULL,
    content_type text NOT NULL,
    user_input text,
    model text NOT NULL,
    status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'completed', 'failed')),
    result jsonb,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    finished_at timestamptz,
    CHECK ((status = 'queued') = (result IS NULL))
);
CREATE INDEX scan_jobs_user_created ON scan_jobs (user_id, created_at DESC);

CREATE TABLE scan_stage_outputs (
    job_id uuid NOT NULL REFERENCES scan_jobs (id) ON DELETE CASCADE,
    stage text NOT NULL,
    output jsonb NOT NULL,
    saved_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (job_id, stage)
);

-- X-Idempotency-Key: the same key from the same user returns the same job for a while
-- (Settings.scan_idempotency_ttl_s); an expired entry is taken over by the next job.
CREATE TABLE scan_idempotency (
    user_id uuid NOT NULL,
    key text NOT NULL,
    job_id uuid NOT NULL REFERENCES scan_jobs (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (user_id, key)
);
