-- Trust (issue 17): one message must never stop a mailbox, and an expired outbox
-- claim must never overwrite a newer one.
--   complaint_messages.unit_id: a thread message's key (channel, message_ref) is
--       unique per unit, not globally, so a citizen who mails two units at once (To
--       and Cc) gets a complaint in each. Always set by the store (the complaint's
--       unit).
--   mail_set_aside: a message a mailbox could not store (too large, a colliding
--       Message-ID, a database refusal) is recorded here with its reason, shown to
--       the unit's admin, and the mailbox's cursor moves past it. The message itself
--       stays in the mailbox; no sender address is kept here.
--   outbox.claim_token: each claim carries a fresh random token; a send's result is
--       recorded only while the row is still `sending` under that token.
ALTER TABLE complaint_messages ADD COLUMN unit_id INTEGER REFERENCES units(id) ON DELETE CASCADE;
UPDATE complaint_messages
   SET unit_id = (SELECT c.unit_id FROM complaints c WHERE c.id = complaint_messages.complaint_id);
DROP INDEX complaint_messages_ref;
CREATE UNIQUE INDEX complaint_messages_unit_ref ON complaint_messages (unit_id, channel, message_ref);
-- An insert that does not name unit_id gets the complaint's.
CREATE TRIGGER complaint_messages_unit AFTER INSERT ON complaint_messages WHEN NEW.unit_id IS NULL
BEGIN
    UPDATE complaint_messages SET unit_id = (SELECT c.unit_id FROM complaints c WHERE c.id = NEW.complaint_id)
     WHERE id = NEW.id;
END;

CREATE TABLE mail_set_aside (
    id INTEGER PRIMARY KEY,
    unit_id INTEGER NOT NULL REFERENCES units(id) ON DELETE CASCADE,
    mailbox TEXT NOT NULL,
    uid_validity INTEGER NOT NULL,
    uid INTEGER NOT NULL,
    message_ref TEXT,
    subject TEXT NOT NULL DEFAULT '',
    size_bytes INTEGER NOT NULL DEFAULT 0,
    reason TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    set_aside_at TEXT NOT NULL,
    CONSTRAINT mail_set_aside_key UNIQUE (mailbox, uid_validity, uid)
);
CREATE INDEX mail_set_aside_unit ON mail_set_aside (unit_id, set_aside_at);

ALTER TABLE outbox ADD COLUMN claim_token TEXT;
