-- Issue 20, postgres dialect. Keep in step with migrations/sqlite/0019_sp4n_stages.sql.
-- SP4N-LAPOR! stage clocks as data (issue 20): the time limits SP4N-LAPOR! sets for
-- a report, per channel and per unit, each with the regulation it comes from. The
-- server counts each stage in working days of the unit's calendar; a stage's clock
-- starts where the previous stage's ends (verification from receipt, follow-up from
-- the end of verification). A row applies to complaints received on or after
-- `valid_from`, so a new regulation is a new row and older complaints keep the
-- limits they were received under. Admins may change the rows; new units get the
-- same defaults (storage::stages::DEFAULT_STAGES).
--
-- PermenPAN-RB 62/2018 (SP4N-LAPOR!) set 3 working days to verify a report and pass
-- it on, and 5 working days for the agency's follow-up. PermenPAN-RB 5/2025 replaced
-- it for SP4N; the rows say so, and a unit changes them if the new rule differs.
CREATE TABLE channel_stages (
    unit_id BIGINT NOT NULL REFERENCES units(id) ON DELETE CASCADE,
    channel TEXT NOT NULL,
    stage TEXT NOT NULL CHECK (stage IN ('verifikasi', 'tindak_lanjut')),
    position BIGINT NOT NULL,
    working_days BIGINT NOT NULL CHECK (working_days > 0),
    regulation TEXT NOT NULL CHECK (regulation <> ''),
    valid_from DATE NOT NULL,
    PRIMARY KEY (unit_id, channel, stage, valid_from)
);
INSERT INTO channel_stages (unit_id, channel, stage, position, working_days, regulation, valid_from)
SELECT id, 'span_lapor', 'verifikasi', 1, 3,
       'PermenPAN-RB 62/2018 (SP4N-LAPOR!); diganti PermenPAN-RB 5/2025', '2018-01-01' FROM units;
INSERT INTO channel_stages (unit_id, channel, stage, position, working_days, regulation, valid_from)
SELECT id, 'span_lapor', 'tindak_lanjut', 2, 5,
       'PermenPAN-RB 62/2018 (SP4N-LAPOR!); diganti PermenPAN-RB 5/2025', '2018-01-01' FROM units;

-- When a complaint was first verified (moved past `diterima`): the end of the
-- verification stage. Kept by the status move; filled here from the control card
-- for complaints moved by a person before this migration. Imported reports get
-- none (the export does not say when LAPOR! verified them): their date is unknown.
ALTER TABLE complaints ADD COLUMN verified_at TIMESTAMPTZ;
UPDATE complaints SET verified_at = (
    SELECT MIN(e.at) FROM complaint_events e
    WHERE e.complaint_id = complaints.id
      AND e.from_status IN ('diterima', 'dikembalikan')
      AND e.to_status NOT IN ('diterima', 'dikembalikan', 'diarsipkan')
      AND e.note NOT LIKE 'Status di SP4N-LAPOR!%'
);

-- Holidays (issue 20). 18 August 2025 became cuti bersama by SKB Menteri Agama,
-- Menteri Ketenagakerjaan dan Menteri PANRB Nomor 933 Tahun 2025, Nomor 1 Tahun 2025,
-- Nomor 3 Tahun 2025 of 7 August 2025, amending SKB 1017/2024, 2/2024, 2/2024; the
-- seed of 0006 did not have it. Never overwrites a day an admin already stored.
-- The 2026 rows come from SKB 1497/2025, 2/2025, 5/2025.
INSERT INTO holidays (day, name, kind, source) VALUES
('2025-08-18', 'Cuti bersama Hari Kemerdekaan Republik Indonesia', 'cuti_bersama',
 'SKB Menag, Menaker dan MenPANRB No. 933/2025, 1/2025, 3/2025 (7 Agustus 2025), mengubah SKB No. 1017/2024, 2/2024, 2/2024')
ON CONFLICT (day) DO NOTHING;
-- The decree numbers of the seeded rows (only rows still carrying the seed's text).
UPDATE holidays SET source = 'SKB Menag, Menaker dan MenPANRB No. 1017/2024, 2/2024, 2/2024'
WHERE source = 'SKB 3 Menteri 2025';
UPDATE holidays SET source = 'SKB Menag, Menaker dan MenPANRB No. 1497/2025, 2/2025, 5/2025'
WHERE source = 'SKB 3 Menteri 2026';
