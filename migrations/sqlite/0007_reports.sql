-- Reports (issue 9): an approved report version is frozen. Every version is kept, and
-- the approved one is the record the kepala dinas received, so the database itself
-- refuses to change or delete it, whatever the application does.
CREATE TRIGGER report_versions_frozen_update BEFORE UPDATE ON report_versions
WHEN OLD.status = 'approved'
BEGIN
    SELECT RAISE(ABORT, 'report version is approved and frozen');
END;

CREATE TRIGGER report_versions_frozen_delete BEFORE DELETE ON report_versions
WHEN OLD.status = 'approved'
BEGIN
    SELECT RAISE(ABORT, 'report version is approved and frozen');
END;

CREATE INDEX report_versions_status ON report_versions (unit_id, status);
CREATE INDEX complaints_overdue ON complaints (unit_id, due_at) WHERE closed_at IS NULL;
