-- Issue 20, sqlite dialect. Keep in step with migrations/postgres/0021_auto_close_stage.sql.
-- The auto-close after an answer becomes a stage limit like the others (it was a
-- constant in the code): SP4N-LAPOR! closes a report by itself when the complainant
-- has not replied within 10 working days of the agency's answer. It applies to
-- complaints of every channel, so each channel gets its own row, per unit, with the
-- regulation it comes from; a unit admin changes them at /staf/{unit}/tahapan and
-- the auto-close job, the reply check and the demo read them.
--
-- SQLite cannot change a CHECK constraint in place: the table is rebuilt with the
-- new stage key (nothing references it).
CREATE TABLE channel_stages_new (
    unit_id INTEGER NOT NULL REFERENCES units(id) ON DELETE CASCADE,
    channel TEXT NOT NULL,
    stage TEXT NOT NULL CHECK (stage IN ('verifikasi', 'tindak_lanjut', 'tutup_otomatis')),
    position INTEGER NOT NULL,
    working_days INTEGER NOT NULL CHECK (working_days > 0),
    regulation TEXT NOT NULL CHECK (regulation <> ''),
    valid_from TEXT NOT NULL,
    PRIMARY KEY (unit_id, channel, stage, valid_from)
);
INSERT INTO channel_stages_new (unit_id, channel, stage, position, working_days, regulation, valid_from)
SELECT unit_id, channel, stage, position, working_days, regulation, valid_from FROM channel_stages;
DROP TABLE channel_stages;
ALTER TABLE channel_stages_new RENAME TO channel_stages;

-- Units with rows of their own get the auto-close of every channel (units without
-- rows read storage::stages::default_stages(), which has the same rows).
INSERT INTO channel_stages (unit_id, channel, stage, position, working_days, regulation, valid_from)
SELECT u.unit_id, k.channel, 'tutup_otomatis', 3, 10,
       'PermenPAN-RB 62/2018 (SP4N-LAPOR!); diganti PermenPAN-RB 5/2025', '2018-01-01'
FROM (SELECT DISTINCT unit_id FROM channel_stages) u
CROSS JOIN (
    SELECT 'kotak_saran' AS channel UNION ALL SELECT 'surat' UNION ALL SELECT 'tatap_muka'
    UNION ALL SELECT 'telepon' UNION ALL SELECT 'fax' UNION ALL SELECT 'sms'
    UNION ALL SELECT 'whatsapp' UNION ALL SELECT 'email' UNION ALL SELECT 'website'
    UNION ALL SELECT 'media_sosial' UNION ALL SELECT 'span_lapor' UNION ALL SELECT 'skm'
) k;
