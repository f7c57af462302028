-- Monthly partition bounds must not depend on the session's time zone (the JDBC driver sets the
-- JVM's), and two consumers creating the same month at once must not fail each other.
CREATE OR REPLACE FUNCTION ensure_api_usage_partition(ts timestamptz) RETURNS text
LANGUAGE plpgsql
SET timezone = 'UTC'
AS $$
DECLARE
    month_start timestamptz := date_trunc('month', ts);
    name        text        := 'api_usage_' || to_char(ts, 'YYYY_MM');
BEGIN
    IF to_regclass(name) IS NULL THEN
        PERFORM pg_advisory_xact_lock(hashtext(name));
        EXECUTE format('CREATE TABLE IF NOT EXISTS %I PARTITION OF api_usage FOR VALUES FROM (%L) TO (%L)',
                       name, month_start, month_start + interval '1 month');
    END IF;
    RETURN name;
END
$$;
