-- The ledger: one row per usage event, derived from the usage-events topic (the log of record).
-- Columns of the table it replaces (timestamp, user_id, model, token counts, cost_usd, session_id,
-- status) plus what the v1 event adds. Partitioned by month on the event's own occurredAt, so a
-- re-sent event lands in the same partition and the primary key dedupes it forever; retention
-- drops whole partitions.
CREATE TABLE api_usage (
    event_id            uuid          NOT NULL,
    "timestamp"         timestamptz   NOT NULL,
    user_id             text          NOT NULL,
    session_id          text,
    model               text          NOT NULL,
    status              smallint      NOT NULL,
    stream              boolean       NOT NULL,
    input_tokens        bigint        NOT NULL CHECK (input_tokens >= 0),
    output_tokens       bigint        NOT NULL CHECK (output_tokens >= 0),
    cache_read_tokens   bigint        NOT NULL CHECK (cache_read_tokens >= 0),
    cache_write_tokens  bigint        NOT NULL CHECK (cache_write_tokens >= 0),
    cost_usd            numeric(20,6) NOT NULL CHECK (cost_usd >= 0),
    pricing_version     text          NOT NULL,
    edge_id             text          NOT NULL,
    duration_ms         bigint        NOT NULL CHECK (duration_ms >= 0),
    outcome             text          NOT NULL,
    ingested_at         timestamptz   NOT NULL DEFAULT now(),
    PRIMARY KEY (event_id, "timestamp")
) PARTITION BY RANGE ("timestamp");

CREATE INDEX api_usage_user_time ON api_usage (user_id, "timestamp");

-- Creates the monthly partition holding ts, unless it exists. The consumer calls it for the
-- months of a batch before inserting, in the batch's transaction.
CREATE FUNCTION ensure_api_usage_partition(ts timestamptz) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    month_start timestamptz := date_trunc('month', ts AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
    name        text        := 'api_usage_' || to_char(ts AT TIME ZONE 'UTC', 'YYYY_MM');
BEGIN
    IF to_regclass(name) IS NULL THEN
        EXECUTE format('CREATE TABLE %I PARTITION OF api_usage FOR VALUES FROM (%L) TO (%L)',
                       name, month_start, month_start + interval '1 month');
    END IF;
    RETURN name;
END
$$;
