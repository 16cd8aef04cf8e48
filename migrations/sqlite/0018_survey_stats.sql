-- Survey statistics (issue 18): the IKM from exact per-cell sums, not from every
-- response. Written in the same transaction as every response insert, so they are
-- never behind the responses.
--   survey_stats: one row per (unit, rule set, day, service; service_key 0 = no
--       service) with the respondents and the cell's exact integer sums (answers
--       per element and score, and the k x k matrices the interval needs) in the
--       rule set's element order, encoded by analytics::CellSums::encode.
--   survey_profile_stats: the same sums per (unit, rule set, month 'YYYY-MM',
--       service, profile dimension, value; '' = not given), for profile
--       breakdowns of whole months.
--   survey_stats_state: one row; built_at is set once the tables above hold every
--       response (a database from before this migration is built on first start,
--       and `tanggap survei statistik --bangun-ulang` rebuilds them).
CREATE TABLE survey_stats (
    unit_id INTEGER NOT NULL REFERENCES units(id),
    rule_set_id INTEGER NOT NULL REFERENCES survey_rule_sets(id),
    responded_on TEXT NOT NULL,
    service_key INTEGER NOT NULL,
    respondents INTEGER NOT NULL CHECK (respondents >= 0),
    sums BLOB NOT NULL,
    PRIMARY KEY (unit_id, rule_set_id, responded_on, service_key)
);

CREATE TABLE survey_profile_stats (
    unit_id INTEGER NOT NULL REFERENCES units(id),
    rule_set_id INTEGER NOT NULL REFERENCES survey_rule_sets(id),
    month TEXT NOT NULL,
    service_key INTEGER NOT NULL,
    dimension TEXT NOT NULL CHECK (dimension IN ('jenis_kelamin', 'pendidikan', 'pekerjaan', 'umur_kelompok')),
    value TEXT NOT NULL,
    respondents INTEGER NOT NULL CHECK (respondents >= 0),
    sums BLOB NOT NULL,
    PRIMARY KEY (unit_id, rule_set_id, month, service_key, dimension, value)
);

CREATE TABLE survey_stats_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    built_at TEXT
);
INSERT INTO survey_stats_state (id, built_at) VALUES (1, NULL);
