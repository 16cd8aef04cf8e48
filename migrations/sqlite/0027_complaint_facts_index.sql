-- Issue 18 (analytics at scale), sqlite dialect. Keep in step with the other dialect's
-- 0027_complaint_facts_index.sql.
-- The month's figures and the dashboard read a year of a unit's complaints (tens of
-- thousands in a big city): every column they need is in this index, in id order,
-- so the read never visits the complaints' own rows (with their long descriptions).
-- Measured on 42,464 complaints of one unit: 31 ms of SQLite time without it, 12 ms
-- with it (docs/performance.md).
CREATE INDEX complaints_facts ON complaints (
    unit_id, id, received_at, closed_at, first_answered_at, due_at,
    status, bobot, channel, klasifikasi, service_id, division_id, jenis_id
);
