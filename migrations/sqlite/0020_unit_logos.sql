-- Issue 21, sqlite dialect. Keep in step with migrations/postgres/0020_unit_logos.sql.
-- A unit's logo (lambang daerah), drawn at the left of the kop of its documents and
-- on its public IKM image. One per unit; uploading a new one replaces it. The file
-- is kept exactly as uploaded after the server checked it by content
-- (reports::logo: PNG or SVG without scripts or external references, at most
-- 512 KiB); the checks below only keep a row from being nonsense.
CREATE TABLE unit_logos (
    unit_id INTEGER PRIMARY KEY REFERENCES units(id) ON DELETE CASCADE,
    media_type TEXT NOT NULL CHECK (media_type IN ('image/png', 'image/svg+xml')),
    content BLOB NOT NULL CHECK (length(content) BETWEEN 1 AND 524288),
    updated_at TEXT NOT NULL,
    updated_by INTEGER REFERENCES users(id) ON DELETE SET NULL
);
