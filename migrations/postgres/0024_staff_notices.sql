-- Issue 19 (staff hear what needs them), postgres dialect. Keep in step with
-- migrations/sqlite/0024_staff_notices.sql.
-- How each staff member hears of what needs them, chosen at /akun: by email (the
-- account's address), by WhatsApp (a number normalised to 08...) or not at all; a
-- kepala dinas may take one daily digest per unit instead of single notices.
-- An account without a row hears by email when it has an address (as the SLA
-- reminders did before).
CREATE TABLE staff_notice_prefs (
    user_id BIGINT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    channel TEXT NOT NULL CHECK (channel IN ('email', 'whatsapp', 'none')),
    whatsapp TEXT NOT NULL DEFAULT '' CHECK (channel <> 'whatsapp' OR whatsapp <> ''),
    digest BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at TIMESTAMPTZ NOT NULL
);
-- The assignment notices are found on the control card (each holder change is an
-- event): the job looks at the recent `klasifikasi` entries only.
CREATE INDEX complaint_events_kind_at ON complaint_events (kind, at);
