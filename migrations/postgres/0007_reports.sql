-- Reports (issue 9): an approved report version is frozen. Every version is kept, and
-- the approved one is the record the kepala dinas received, so the database itself
-- refuses to change or delete it, whatever the application does.
CREATE FUNCTION report_versions_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status = 'approved' THEN
        RAISE EXCEPTION 'report version is approved and frozen';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER report_versions_frozen BEFORE UPDATE OR DELETE ON report_versions
FOR EACH ROW EXECUTE FUNCTION report_versions_frozen();

CREATE INDEX report_versions_status ON report_versions (unit_id, status);
CREATE INDEX complaints_overdue ON complaints (unit_id, due_at) WHERE closed_at IS NULL;
