-- Issue 19 (native providers), postgres dialect. Keep in step with the other dialect's
-- 0025_provider_webhooks.sql.
-- Providers that sign nothing (Fonnte, Wablas) post to a URL that carries a long
-- random secret, one per unit and provider. Only its SHA-256 (hex) is kept: the
-- secret itself is shown once, when it is made or rotated, and a new one replaces
-- the old at once.
CREATE TABLE provider_webhook_secrets (
    unit_id BIGINT NOT NULL REFERENCES units(id) ON DELETE CASCADE,
    provider TEXT NOT NULL CHECK (provider IN ('fonnte', 'wablas')),
    secret_sha256 TEXT NOT NULL CHECK (length(secret_sha256) = 64),
    created_at TIMESTAMPTZ NOT NULL,
    created_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    PRIMARY KEY (unit_id, provider)
);

-- How far a polled provider inbox (Zenziva SMS) has been read: the highest message
-- id taken in, so a restart neither loses nor doubles a message. It only moves
-- forward.
CREATE TABLE provider_poll_cursors (
    unit_id BIGINT NOT NULL REFERENCES units(id) ON DELETE CASCADE,
    provider TEXT NOT NULL CHECK (provider IN ('zenziva')),
    last_id BIGINT NOT NULL CHECK (last_id >= 0),
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (unit_id, provider)
);
