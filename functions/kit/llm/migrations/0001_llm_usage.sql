-- One row per LLM attempt (retries, fallbacks and circuit short-circuits included), so
-- cost per job/task and each provider's failure rate can be queried. Rows are written
-- best effort and never read by the request path.
CREATE TABLE llm_usage (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at timestamptz NOT NULL,
    job_id text,
    task text NOT NULL,
    provider text NOT NULL,
    model text NOT NULL,
    input_tokens integer NOT NULL CHECK (input_tokens >= 0),
    output_tokens integer NOT NULL CHECK (output_tokens >= 0),
    latency_s double precision NOT NULL,
    ok boolean NOT NULL,
    error text
);
CREATE INDEX llm_usage_job_idx ON llm_usage (job_id) WHERE job_id IS NOT NULL;
CREATE INDEX llm_usage_at_idx ON llm_usage (at);
