-- Issue 21, postgres dialect. Keep in step with migrations/sqlite/0020_unit_logos.sql.
-- A unit's logo (lambang daerah), drawn at the left of the kop of its documents and
-- on its public IKM image. One per unit; uploading a new one replaces it. The file
-- is kept exactly as uploaded after the server checked it by content
-- (reports::logo: PNG or SVG without scripts or external references, at most
-- 512 KiB); the checks below only keep a row from being nonsense.
CREATE TABLE unit_logos (
    unit_id BIGINT PRIMARY KEY REFERENCES units(id) ON DELETE CASCADE,
    media_type TEXT NOT NULL CHECK (media_type IN ('image/png', 'image/svg+xml')),
    content BYTEA NOT NULL CHECK (octet_length(content) BETWEEN 1 AND 524288),
    updated_at TIMESTAMPTZ NOT NULL,
    updated_by BIGINT REFERENCES users(id) ON DELETE SET NULL
);
