-- Every figure the API serves comes from the rollups, so the ledger needs only its primary key
-- (the dedupe). The (user_id, timestamp) index cost about a third of each batch's insert time.
DROP INDEX IF EXISTS api_usage_user_time;
