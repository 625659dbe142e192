-- Each attempt's cost from the price table (functions/kit/llm/prices.json; NULL: no price
-- known), the native web searches it ran, and each run's ledger: the sum of its attempts by
-- model, written when the run ends (again, identically, if the run's end repeats).
ALTER TABLE llm_usage ADD COLUMN searches integer NOT NULL DEFAULT 0 CHECK (searches >= 0);
ALTER TABLE llm_usage ADD COLUMN cost_usd numeric(14, 8);
CREATE TABLE llm_run_costs (
    job_id text PRIMARY KEY,
    settled_at timestamptz NOT NULL,
    calls integer NOT NULL,
    input_tokens bigint NOT NULL,
    output_tokens bigint NOT NULL,
    cost_usd numeric(14, 8) NOT NULL,
    priced boolean NOT NULL,
    by_model jsonb NOT NULL
);
