-- Issue 19 (part B): citizens hear what happens, and the survey after the service.
-- Keep in step with migrations/postgres/0023_citizen_notices.sql.
--   notice_stops: a contact (normalised phone 08..., or lower-cased email) that asked
--       a unit to stop its notices (a BERHENTI reply or the stop link). No status
--       notice and no survey invite is queued for it while the row exists; MULAI
--       deletes it. The answer itself is still delivered.
--   notice_stop_links: the random token of a stop link in a notice (only its
--       SHA-256 is kept), the unit and the contact it stops.
--   unit_notice_settings: per-unit settings of the citizen notices; a unit without
--       a row waits 60 minutes before sending the survey invite after closure.
--   survey_invites.complaint_id: the invite sent after a complaint was closed; one
--       per complaint (unique), so its response counts as a complainant's in the
--       SKM report.
CREATE TABLE notice_stops (
    id INTEGER PRIMARY KEY,
    unit_id INTEGER NOT NULL REFERENCES units(id) ON DELETE CASCADE,
    contact TEXT NOT NULL CHECK (contact <> ''),
    source TEXT NOT NULL CHECK (source IN ('balasan', 'tautan')),
    stopped_at TEXT NOT NULL,
    CONSTRAINT notice_stops_key UNIQUE (unit_id, contact)
);

CREATE TABLE notice_stop_links (
    token_hash TEXT PRIMARY KEY,
    unit_id INTEGER NOT NULL REFERENCES units(id) ON DELETE CASCADE,
    complaint_id INTEGER REFERENCES complaints(id) ON DELETE CASCADE,
    contact TEXT NOT NULL CHECK (contact <> ''),
    created_at TEXT NOT NULL,
    used_at TEXT
);

CREATE TABLE unit_notice_settings (
    unit_id INTEGER PRIMARY KEY REFERENCES units(id) ON DELETE CASCADE,
    survey_invite_delay_minutes INTEGER NOT NULL DEFAULT 60
        CHECK (survey_invite_delay_minutes BETWEEN 0 AND 10080)
);

ALTER TABLE survey_invites ADD COLUMN complaint_id INTEGER REFERENCES complaints(id) ON DELETE SET NULL;
CREATE UNIQUE INDEX survey_invites_complaint ON survey_invites (complaint_id) WHERE complaint_id IS NOT NULL;
