-- Issue 19, sqlite dialect. Keep in step with migrations/postgres/0022_whatsapp_window.sql.
-- The WhatsApp Cloud API (Meta) lets a business send free text only within 24 hours
-- of the citizen's last message to it; outside that window only an approved
-- template may go out. The outbox asks, for every WhatsApp send, when the last
-- incoming message from the recipient's number reached the unit: this index
-- answers that from the thread messages without a scan.
CREATE INDEX complaint_messages_last_inbound ON complaint_messages (unit_id, channel, sender, direction, at);
