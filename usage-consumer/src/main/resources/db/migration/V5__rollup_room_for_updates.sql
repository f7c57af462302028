-- Every batch updates thousands of rollup rows in place. With room left on each page, PostgreSQL
-- keeps the new version on the same page and touches no index (a HOT update); full pages made
-- every update insert into both indexes too, about half again the cost (measured in BENCHMARKS.md).
-- Applies to pages written from now on; VACUUM FULL usage_rollups rewrites the old ones.
ALTER TABLE usage_rollups SET (fillfactor = 70);
