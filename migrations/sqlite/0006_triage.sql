-- Triage (issue 6), sqlite dialect: holidays seed, complaint search index, sign-offs.

-- National holidays (libur nasional) and collective leave (cuti bersama), 2025-2027.
-- Working-day clocks (SLA due dates, auto-close) skip these days. They are data, not
-- code: admins edit them at /staf/{unit}/hari-libur, and this seed never overwrites a
-- day that is already stored (ON CONFLICT DO NOTHING).
--
-- 2025: SKB Menteri Agama, Menteri Ketenagakerjaan dan Menteri PANRB Nomor 1017 Tahun
--       2024, Nomor 2 Tahun 2024, Nomor 2 Tahun 2024 tentang Hari Libur Nasional dan Cuti
--       Bersama Tahun 2025. (A later government announcement about 18 August 2025 as an
--       extra day off was not verified when this file was written and is NOT included:
--       add it on the holiday page if your office observed it.)
-- 2026: SKB 3 Menteri tentang Hari Libur Nasional dan Cuti Bersama Tahun 2026 (signed
--       September 2025). The dates below were taken from it as published; its decree
--       numbers are not quoted here because they could not be checked when this file
--       was written.
-- 2027: NO decree was available when this file was written. Only the days that do not
--       depend on a decree are included: fixed-date holidays (UU/Keppres) and the
--       Christian feasts that follow from the date of Easter (28 March 2027). Islamic,
--       Chinese, Hindu and Buddhist holidays and all cuti bersama of 2027 MUST be added
--       by an admin once the SKB 2027 is published.
INSERT INTO holidays (day, name, kind, source) VALUES
('2025-01-01', 'Tahun Baru 2025 Masehi', 'libur_nasional', 'SKB 3 Menteri 2025'),
('2025-01-27', 'Isra Mikraj Nabi Muhammad SAW', 'libur_nasional', 'SKB 3 Menteri 2025'),
('2025-01-28', 'Cuti bersama Tahun Baru Imlek 2576 Kongzili', 'cuti_bersama', 'SKB 3 Menteri 2025'),
('2025-01-29', 'Tahun Baru Imlek 2576 Kongzili', 'libur_nasional', 'SKB 3 Menteri 2025'),
('2025-03-28', 'Cuti bersama Hari Suci Nyepi Tahun Baru Saka 1947', 'cuti_bersama', 'SKB 3 Menteri 2025'),
('2025-03-29', 'Hari Suci Nyepi Tahun Baru Saka 1947', 'libur_nasional', 'SKB 3 Menteri 2025'),
('2025-03-31', 'Idul Fitri 1446 Hijriah', 'libur_nasional', 'SKB 3 Menteri 2025'),
('2025-04-01', 'Idul Fitri 1446 Hijriah', 'libur_nasional', 'SKB 3 Menteri 2025'),
('2025-04-02', 'Cuti bersama Idul Fitri 1446 Hijriah', 'cuti_bersama', 'SKB 3 Menteri 2025'),
('2025-04-03', 'Cuti bersama Idul Fitri 1446 Hijriah', 'cuti_bersama', 'SKB 3 Menteri 2025'),
('2025-04-04', 'Cuti bersama Idul Fitri 1446 Hijriah', 'cuti_bersama', 'SKB 3 Menteri 2025'),
('2025-04-07', 'Cuti bersama Idul Fitri 1446 Hijriah', 'cuti_bersama', 'SKB 3 Menteri 2025'),
('2025-04-18', 'Wafat Yesus Kristus', 'libur_nasional', 'SKB 3 Menteri 2025'),
('2025-04-20', 'Kebangkitan Yesus Kristus (Paskah)', 'libur_nasional', 'SKB 3 Menteri 2025'),
('2025-05-01', 'Hari Buruh Internasional', 'libur_nasional', 'SKB 3 Menteri 2025'),
('2025-05-12', 'Hari Raya Waisak 2569 BE', 'libur_nasional', 'SKB 3 Menteri 2025'),
('2025-05-13', 'Cuti bersama Hari Raya Waisak 2569 BE', 'cuti_bersama', 'SKB 3 Menteri 2025'),
('2025-05-29', 'Kenaikan Yesus Kristus', 'libur_nasional', 'SKB 3 Menteri 2025'),
('2025-05-30', 'Cuti bersama Kenaikan Yesus Kristus', 'cuti_bersama', 'SKB 3 Menteri 2025'),
('2025-06-01', 'Hari Lahir Pancasila', 'libur_nasional', 'SKB 3 Menteri 2025'),
('2025-06-06', 'Idul Adha 1446 Hijriah', 'libur_nasional', 'SKB 3 Menteri 2025'),
('2025-06-09', 'Cuti bersama Idul Adha 1446 Hijriah', 'cuti_bersama', 'SKB 3 Menteri 2025'),
('2025-06-27', 'Tahun Baru Islam 1447 Hijriah', 'libur_nasional', 'SKB 3 Menteri 2025'),
('2025-08-17', 'Hari Kemerdekaan Republik Indonesia', 'libur_nasional', 'SKB 3 Menteri 2025'),
('2025-09-05', 'Maulid Nabi Muhammad SAW', 'libur_nasional', 'SKB 3 Menteri 2025'),
('2025-12-25', 'Hari Raya Natal', 'libur_nasional', 'SKB 3 Menteri 2025'),
('2025-12-26', 'Cuti bersama Hari Raya Natal', 'cuti_bersama', 'SKB 3 Menteri 2025'),
('2026-01-01', 'Tahun Baru 2026 Masehi', 'libur_nasional', 'SKB 3 Menteri 2026'),
('2026-01-16', 'Isra Mikraj Nabi Muhammad SAW', 'libur_nasional', 'SKB 3 Menteri 2026'),
('2026-02-16', 'Cuti bersama Tahun Baru Imlek 2577 Kongzili', 'cuti_bersama', 'SKB 3 Menteri 2026'),
('2026-02-17', 'Tahun Baru Imlek 2577 Kongzili', 'libur_nasional', 'SKB 3 Menteri 2026'),
('2026-03-18', 'Cuti bersama Hari Suci Nyepi Tahun Baru Saka 1948', 'cuti_bersama', 'SKB 3 Menteri 2026'),
('2026-03-19', 'Hari Suci Nyepi Tahun Baru Saka 1948', 'libur_nasional', 'SKB 3 Menteri 2026'),
('2026-03-20', 'Cuti bersama Idul Fitri 1447 Hijriah', 'cuti_bersama', 'SKB 3 Menteri 2026'),
('2026-03-21', 'Idul Fitri 1447 Hijriah', 'libur_nasional', 'SKB 3 Menteri 2026'),
('2026-03-22', 'Idul Fitri 1447 Hijriah', 'libur_nasional', 'SKB 3 Menteri 2026'),
('2026-03-23', 'Cuti bersama Idul Fitri 1447 Hijriah', 'cuti_bersama', 'SKB 3 Menteri 2026'),
('2026-03-24', 'Cuti bersama Idul Fitri 1447 Hijriah', 'cuti_bersama', 'SKB 3 Menteri 2026'),
('2026-04-03', 'Wafat Yesus Kristus', 'libur_nasional', 'SKB 3 Menteri 2026'),
('2026-04-05', 'Kebangkitan Yesus Kristus (Paskah)', 'libur_nasional', 'SKB 3 Menteri 2026'),
('2026-05-01', 'Hari Buruh Internasional', 'libur_nasional', 'SKB 3 Menteri 2026'),
('2026-05-14', 'Kenaikan Yesus Kristus', 'libur_nasional', 'SKB 3 Menteri 2026'),
('2026-05-15', 'Cuti bersama Kenaikan Yesus Kristus', 'cuti_bersama', 'SKB 3 Menteri 2026'),
('2026-05-27', 'Idul Adha 1447 Hijriah', 'libur_nasional', 'SKB 3 Menteri 2026'),
('2026-05-28', 'Cuti bersama Idul Adha 1447 Hijriah', 'cuti_bersama', 'SKB 3 Menteri 2026'),
('2026-05-31', 'Hari Raya Waisak 2570 BE', 'libur_nasional', 'SKB 3 Menteri 2026'),
('2026-06-01', 'Hari Lahir Pancasila', 'libur_nasional', 'SKB 3 Menteri 2026'),
('2026-06-16', 'Tahun Baru Islam 1448 Hijriah', 'libur_nasional', 'SKB 3 Menteri 2026'),
('2026-08-17', 'Hari Kemerdekaan Republik Indonesia', 'libur_nasional', 'SKB 3 Menteri 2026'),
('2026-08-25', 'Maulid Nabi Muhammad SAW', 'libur_nasional', 'SKB 3 Menteri 2026'),
('2026-12-24', 'Cuti bersama Hari Raya Natal', 'cuti_bersama', 'SKB 3 Menteri 2026'),
('2026-12-25', 'Hari Raya Natal', 'libur_nasional', 'SKB 3 Menteri 2026'),
('2027-01-01', 'Tahun Baru 2027 Masehi', 'libur_nasional', 'tanggal tetap; SKB 2027 belum ada'),
('2027-03-26', 'Wafat Yesus Kristus', 'libur_nasional', 'dari tanggal Paskah; SKB 2027 belum ada'),
('2027-03-28', 'Kebangkitan Yesus Kristus (Paskah)', 'libur_nasional', 'dari tanggal Paskah; SKB 2027 belum ada'),
('2027-05-01', 'Hari Buruh Internasional', 'libur_nasional', 'tanggal tetap; SKB 2027 belum ada'),
('2027-05-06', 'Kenaikan Yesus Kristus', 'libur_nasional', 'dari tanggal Paskah; SKB 2027 belum ada'),
('2027-06-01', 'Hari Lahir Pancasila', 'libur_nasional', 'tanggal tetap; SKB 2027 belum ada'),
('2027-08-17', 'Hari Kemerdekaan Republik Indonesia', 'libur_nasional', 'tanggal tetap; SKB 2027 belum ada'),
('2027-12-25', 'Hari Raya Natal', 'libur_nasional', 'tanggal tetap; SKB 2027 belum ada')
ON CONFLICT (day) DO NOTHING;

-- Inbox full-text search on subject and description: an FTS5 external-content table
-- over complaints, kept in step by triggers (status updates do not touch it). Search
-- words match as prefixes; prefix indexes of 2-4 letters keep short prefixes fast.
CREATE VIRTUAL TABLE complaints_fts USING fts5(
    subject, description, content = 'complaints', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3 4'
);
CREATE TRIGGER complaints_fts_insert AFTER INSERT ON complaints BEGIN
    INSERT INTO complaints_fts (rowid, subject, description) VALUES (new.id, new.subject, new.description);
END;
CREATE TRIGGER complaints_fts_delete AFTER DELETE ON complaints BEGIN
    INSERT INTO complaints_fts (complaints_fts, rowid, subject, description)
    VALUES ('delete', old.id, old.subject, old.description);
END;
CREATE TRIGGER complaints_fts_update AFTER UPDATE OF subject, description ON complaints BEGIN
    INSERT INTO complaints_fts (complaints_fts, rowid, subject, description)
    VALUES ('delete', old.id, old.subject, old.description);
    INSERT INTO complaints_fts (rowid, subject, description) VALUES (new.id, new.subject, new.description);
END;
INSERT INTO complaints_fts (complaints_fts) VALUES ('rebuild');

-- Inbox orders and filters within a unit.
CREATE INDEX complaints_unit_due ON complaints (unit_id, due_at);
-- Sort by deadline with the undated last, in the index's order (the inbox query
-- orders by exactly these expressions).
CREATE INDEX complaints_unit_due_sort ON complaints (unit_id, due_at IS NULL, due_at);
CREATE INDEX complaints_unit_status_due_sort ON complaints (unit_id, status, due_at IS NULL, due_at);
CREATE INDEX complaints_unit_assignee ON complaints (unit_id, assignee_id);
