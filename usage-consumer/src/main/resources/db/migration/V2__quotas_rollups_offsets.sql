-- Limits per user: the record for quotas (SPEC §9). NULL means no limit.
CREATE TABLE user_quotas (
    user_id            text          PRIMARY KEY,
    daily_limit_usd    numeric(20,6) CHECK (daily_limit_usd >= 0),
    monthly_limit_usd  numeric(20,6) CHECK (monthly_limit_usd >= 0),
    enabled            boolean       NOT NULL DEFAULT true,
    updated_at         timestamptz   NOT NULL DEFAULT now()
);

-- Rollups per user, UTC day and model, derived from the ledger rows actually inserted, in the
-- same transaction. Daily, monthly and total figures come from here, never from the ledger.
CREATE TABLE usage_rollups (
    user_id             text          NOT NULL,
    day                 date          NOT NULL,
    model               text          NOT NULL,
    calls               bigint        NOT NULL,
    input_tokens        bigint        NOT NULL,
    output_tokens       bigint        NOT NULL,
    cache_read_tokens   bigint        NOT NULL,
    cache_write_tokens  bigint        NOT NULL,
    cost_usd            numeric(20,6) NOT NULL,
    PRIMARY KEY (user_id, day, model)
);

CREATE INDEX usage_rollups_day ON usage_rollups (day);

-- Where each consumer group is in each partition: advanced in the transaction that wrote the
-- rows those offsets produced, and read back on partition assignment.
CREATE TABLE consumer_offsets (
    group_id     text    NOT NULL,
    topic        text    NOT NULL,
    partition    integer NOT NULL,
    next_offset  bigint  NOT NULL,
    PRIMARY KEY (group_id, topic, partition)
);
