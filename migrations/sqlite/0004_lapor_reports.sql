-- SPAN-LAPOR! import (issue 5): the LAPOR! side of an imported complaint. The
-- complaint itself lives in `complaints` (channel 'span_lapor', channel_ref = the
-- tracking ID); this row keeps what only LAPOR! knows and what a re-import compares
-- against: the status text as last exported, the category and the target agency.
CREATE TABLE lapor_reports (
    complaint_id INTEGER PRIMARY KEY REFERENCES complaints(id) ON DELETE CASCADE,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    tracking_id TEXT NOT NULL,
    lapor_status TEXT NOT NULL DEFAULT '',
    kategori TEXT,
    instansi TEXT,
    first_imported_at TEXT NOT NULL,
    last_changed_at TEXT NOT NULL,
    CONSTRAINT lapor_reports_tracking_key UNIQUE (unit_id, tracking_id)
);
