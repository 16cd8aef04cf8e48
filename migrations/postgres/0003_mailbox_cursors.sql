-- Email channel (issue 4): how far each polled IMAP mailbox has been read, so a poll
-- fetches only new UIDs. A changed UIDVALIDITY means the UIDs were renumbered: the
-- mailbox is read again from the start and the store's idempotency drops repeats.

CREATE TABLE mailbox_cursors (
    mailbox TEXT PRIMARY KEY,
    uid_validity BIGINT NOT NULL,
    last_uid BIGINT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
