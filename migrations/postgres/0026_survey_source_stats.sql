-- Issue 18 (analytics at scale), postgres dialect. Keep in step with the other dialect's
-- 0026_survey_source_stats.sql.
-- How many responses came in through each collection source, per (unit, rule set,
-- day, source), written in the same transaction as the responses like the other
-- survey statistics. The SKM report's method text counts sources over a period
-- from these rows (some 6 per unit and day) instead of grouping every response of
-- the period.
CREATE TABLE survey_source_stats (
    unit_id BIGINT NOT NULL REFERENCES units(id),
    rule_set_id BIGINT NOT NULL REFERENCES survey_rule_sets(id),
    responded_on DATE NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('web', 'kiosk', 'qr', 'invite', 'paper', 'import')),
    respondents BIGINT NOT NULL CHECK (respondents >= 0),
    PRIMARY KEY (unit_id, rule_set_id, responded_on, source)
);

-- A database with responses from before this table has no source counts yet:
-- clearing the marker makes the next start build every statistics table from the
-- responses, this one included (see survey_stats.rs).
UPDATE survey_stats_state SET built_at = NULL WHERE id = 1 AND EXISTS (SELECT 1 FROM survey_responses);
