-- Issue 18 (analytics at scale), postgres dialect. Keep in step with the other dialect's
-- 0027_complaint_facts_index.sql.
-- The month's figures and the dashboard read a year of a unit's complaints (tens of
-- thousands in a big city): every column they need is in this index, in id order,
-- so the read can be an index-only scan that never visits the complaints' rows
-- (with their long descriptions).
CREATE INDEX complaints_facts ON complaints (unit_id, id)
    INCLUDE (received_at, closed_at, first_answered_at, due_at,
             status, bobot, channel, klasifikasi, service_id, division_id, jenis_id);
