-- Trust (issue 17): acknowledgements are capped per destination (a few per hour to
-- one phone number or email address), counted over the outbox rows of the last
-- hour; this index keeps that count to the recent rows.
CREATE INDEX outbox_created ON outbox (created_at);
