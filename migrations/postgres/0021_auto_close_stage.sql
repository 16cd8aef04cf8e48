-- Issue 20, postgres dialect. Keep in step with migrations/sqlite/0021_auto_close_stage.sql.
-- The auto-close after an answer becomes a stage limit like the others (it was a
-- constant in the code): SP4N-LAPOR! closes a report by itself when the complainant
-- has not replied within 10 working days of the agency's answer. It applies to
-- complaints of every channel, so each channel gets its own row, per unit, with the
-- regulation it comes from; a unit admin changes them at /staf/{unit}/tahapan and
-- the auto-close job, the reply check and the demo read them.
ALTER TABLE channel_stages DROP CONSTRAINT channel_stages_stage_check;
ALTER TABLE channel_stages ADD CONSTRAINT channel_stages_stage_check
    CHECK (stage IN ('verifikasi', 'tindak_lanjut', 'tutup_otomatis'));

-- Units with rows of their own get the auto-close of every channel (units without
-- rows read storage::stages::default_stages(), which has the same rows).
INSERT INTO channel_stages (unit_id, channel, stage, position, working_days, regulation, valid_from)
SELECT u.unit_id, k.channel, 'tutup_otomatis', 3, 10,
       'PermenPAN-RB 62/2018 (SP4N-LAPOR!); diganti PermenPAN-RB 5/2025', DATE '2018-01-01'
FROM (SELECT DISTINCT unit_id FROM channel_stages) u
CROSS JOIN (VALUES ('kotak_saran'), ('surat'), ('tatap_muka'), ('telepon'), ('fax'), ('sms'),
                   ('whatsapp'), ('email'), ('website'), ('media_sosial'), ('span_lapor'), ('skm')) AS k(channel);
