-- Crash trials (issue 22): a retried complaint returns the first result.
--   idempotency_keys: the `Idempotency-Key` of the JSON API and the one-time token
--       of the complaint forms, per unit and scope (`api`, `form`, or an API
--       token's scope), written in the same transaction as the complaint it made,
--       so a crash never leaves one without the other. `fingerprint` is a SHA-256
--       of the request: the same key with another request is refused. Keys older
--       than the retention window are removed when the unit files its next
--       complaint, after which the key may be used again.
CREATE TABLE idempotency_keys (
    unit_id BIGINT NOT NULL REFERENCES units(id) ON DELETE CASCADE,
    scope TEXT NOT NULL,
    idem_key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    complaint_id BIGINT NOT NULL REFERENCES complaints(id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (unit_id, scope, idem_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (unit_id, created_at);
