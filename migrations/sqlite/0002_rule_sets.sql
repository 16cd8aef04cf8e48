-- The SKM rule sets as data (../shared/domain/SKM.md). Elements are keyed, never positional.

INSERT INTO survey_rule_sets (code, name, citation, is_default) VALUES ('permenpan-rb-14-2017', 'PermenPAN-RB 14/2017', 'Peraturan Menteri Pendayagunaan Aparatur Negara dan Reformasi Birokrasi Nomor 14 Tahun 2017 tentang Pedoman Penyusunan Survei Kepuasan Masyarakat Unit Penyelenggara Pelayanan Publik', 1);
INSERT INTO survey_elements (rule_set_id, key, code, position, name, question, answer_1, answer_2, answer_3, answer_4)
SELECT id, 'persyaratan', 'U1', 1, 'Persyaratan', 'Kesesuaian persyaratan pelayanan dengan jenis pelayanannya', 'Tidak sesuai', 'Kurang sesuai', 'Sesuai', 'Sangat sesuai' FROM survey_rule_sets WHERE code = 'permenpan-rb-14-2017';
INSERT INTO survey_elements (rule_set_id, key, code, position, name, question, answer_1, answer_2, answer_3, answer_4)
SELECT id, 'prosedur', 'U2', 2, 'Sistem, Mekanisme, dan Prosedur', 'Kemudahan prosedur pelayanan di unit ini', 'Tidak mudah', 'Kurang mudah', 'Mudah', 'Sangat mudah' FROM survey_rule_sets WHERE code = 'permenpan-rb-14-2017';
INSERT INTO survey_elements (rule_set_id, key, code, position, name, question, answer_1, answer_2, answer_3, answer_4)
SELECT id, 'waktu', 'U3', 3, 'Waktu Penyelesaian', 'Kecepatan waktu dalam memberikan pelayanan', 'Tidak cepat', 'Kurang cepat', 'Cepat', 'Sangat cepat' FROM survey_rule_sets WHERE code = 'permenpan-rb-14-2017';
INSERT INTO survey_elements (rule_set_id, key, code, position, name, question, answer_1, answer_2, answer_3, answer_4)
SELECT id, 'biaya', 'U4', 4, 'Biaya/Tarif', 'Kewajaran biaya/tarif dalam pelayanan', 'Sangat mahal', 'Cukup mahal', 'Murah', 'Gratis' FROM survey_rule_sets WHERE code = 'permenpan-rb-14-2017';
INSERT INTO survey_elements (rule_set_id, key, code, position, name, question, answer_1, answer_2, answer_3, answer_4)
SELECT id, 'produk', 'U5', 5, 'Produk Spesifikasi Jenis Pelayanan', 'Kesesuaian produk pelayanan antara yang tercantum dalam standar pelayanan dengan hasil yang diberikan', 'Tidak sesuai', 'Kurang sesuai', 'Sesuai', 'Sangat sesuai' FROM survey_rule_sets WHERE code = 'permenpan-rb-14-2017';
INSERT INTO survey_elements (rule_set_id, key, code, position, name, question, answer_1, answer_2, answer_3, answer_4)
SELECT id, 'kompetensi', 'U6', 6, 'Kompetensi Pelaksana', 'Kompetensi/kemampuan petugas dalam pelayanan', 'Tidak kompeten', 'Kurang kompeten', 'Kompeten', 'Sangat kompeten' FROM survey_rule_sets WHERE code = 'permenpan-rb-14-2017';
INSERT INTO survey_elements (rule_set_id, key, code, position, name, question, answer_1, answer_2, answer_3, answer_4)
SELECT id, 'perilaku', 'U7', 7, 'Perilaku Pelaksana', 'Perilaku petugas dalam pelayanan terkait kesopanan dan keramahan', 'Tidak sopan dan ramah', 'Kurang sopan dan ramah', 'Sopan dan ramah', 'Sangat sopan dan ramah' FROM survey_rule_sets WHERE code = 'permenpan-rb-14-2017';
INSERT INTO survey_elements (rule_set_id, key, code, position, name, question, answer_1, answer_2, answer_3, answer_4)
SELECT id, 'sarana', 'U8', 8, 'Sarana dan Prasarana', 'Kualitas sarana dan prasarana', 'Buruk', 'Cukup', 'Baik', 'Sangat baik' FROM survey_rule_sets WHERE code = 'permenpan-rb-14-2017';
INSERT INTO survey_elements (rule_set_id, key, code, position, name, question, answer_1, answer_2, answer_3, answer_4)
SELECT id, 'pengaduan', 'U9', 9, 'Penanganan Pengaduan, Saran dan Masukan', 'Penanganan pengaduan pengguna layanan', 'Tidak ada', 'Ada tetapi tidak berfungsi', 'Berfungsi kurang maksimal', 'Dikelola dengan baik' FROM survey_rule_sets WHERE code = 'permenpan-rb-14-2017';

INSERT INTO survey_rule_sets (code, name, citation, is_default) VALUES ('kepmenpan-25-2004', 'KepMenPAN 25/2004', 'Keputusan Menteri Pendayagunaan Aparatur Negara Nomor KEP/25/M.PAN/2/2004 tentang Pedoman Umum Penyusunan Indeks Kepuasan Masyarakat Unit Pelayanan Instansi Pemerintah', 0);
INSERT INTO survey_elements (rule_set_id, key, code, position, name, question, answer_1, answer_2, answer_3, answer_4)
SELECT id, 'prosedur', 'U1', 1, 'Prosedur pelayanan', 'Penilaian Anda terhadap prosedur pelayanan', 'Tidak baik', 'Kurang baik', 'Baik', 'Sangat baik' FROM survey_rule_sets WHERE code = 'kepmenpan-25-2004';
INSERT INTO survey_elements (rule_set_id, key, code, position, name, question, answer_1, answer_2, answer_3, answer_4)
SELECT id, 'persyaratan', 'U2', 2, 'Persyaratan pelayanan', 'Penilaian Anda terhadap persyaratan pelayanan', 'Tidak baik', 'Kurang baik', 'Baik', 'Sangat baik' FROM survey_rule_sets WHERE code = 'kepmenpan-25-2004';
INSERT INTO survey_elements (rule_set_id, key, code, position, name, question, answer_1, answer_2, answer_3, answer_4)
SELECT id, 'kejelasan_petugas', 'U3', 3, 'Kejelasan petugas pelayanan', 'Penilaian Anda terhadap kejelasan petugas pelayanan', 'Tidak baik', 'Kurang baik', 'Baik', 'Sangat baik' FROM survey_rule_sets WHERE code = 'kepmenpan-25-2004';
INSERT INTO survey_elements (rule_set_id, key, code, position, name, question, answer_1, answer_2, answer_3, answer_4)
SELECT id, 'kedisiplinan_petugas', 'U4', 4, 'Kedisiplinan petugas pelayanan', 'Penilaian Anda terhadap kedisiplinan petugas pelayanan', 'Tidak baik', 'Kurang baik', 'Baik', 'Sangat baik' FROM survey_rule_sets WHERE code = 'kepmenpan-25-2004';
INSERT INTO survey_elements (rule_set_id, key, code, position, name, question, answer_1, answer_2, answer_3, answer_4)
SELECT id, 'tanggung_jawab_petugas', 'U5', 5, 'Tanggung jawab petugas pelayanan', 'Penilaian Anda terhadap tanggung jawab petugas pelayanan', 'Tidak baik', 'Kurang baik', 'Baik', 'Sangat baik' FROM survey_rule_sets WHERE code = 'kepmenpan-25-2004';
INSERT INTO survey_elements (rule_set_id, key, code, position, name, question, answer_1, answer_2, answer_3, answer_4)
SELECT id, 'kemampuan_petugas', 'U6', 6, 'Kemampuan petugas pelayanan', 'Penilaian Anda terhadap kemampuan petugas pelayanan', 'Tidak baik', 'Kurang baik', 'Baik', 'Sangat baik' FROM survey_rule_sets WHERE code = 'kepmenpan-25-2004';
INSERT INTO survey_elements (rule_set_id, key, code, position, name, question, answer_1, answer_2, answer_3, answer_4)
SELECT id, 'kecepatan_pelayanan', 'U7', 7, 'Kecepatan pelayanan', 'Penilaian Anda terhadap kecepatan pelayanan', 'Tidak baik', 'Kurang baik', 'Baik', 'Sangat baik' FROM survey_rule_sets WHERE code = 'kepmenpan-25-2004';
INSERT INTO survey_elements (rule_set_id, key, code, position, name, question, answer_1, answer_2, answer_3, answer_4)
SELECT id, 'keadilan', 'U8', 8, 'Keadilan mendapatkan pelayanan', 'Penilaian Anda terhadap keadilan mendapatkan pelayanan', 'Tidak baik', 'Kurang baik', 'Baik', 'Sangat baik' FROM survey_rule_sets WHERE code = 'kepmenpan-25-2004';
INSERT INTO survey_elements (rule_set_id, key, code, position, name, question, answer_1, answer_2, answer_3, answer_4)
SELECT id, 'kesopanan_keramahan', 'U9', 9, 'Kesopanan dan keramahan petugas', 'Penilaian Anda terhadap kesopanan dan keramahan petugas', 'Tidak baik', 'Kurang baik', 'Baik', 'Sangat baik' FROM survey_rule_sets WHERE code = 'kepmenpan-25-2004';
INSERT INTO survey_elements (rule_set_id, key, code, position, name, question, answer_1, answer_2, answer_3, answer_4)
SELECT id, 'kewajaran_biaya', 'U10', 10, 'Kewajaran biaya pelayanan', 'Penilaian Anda terhadap kewajaran biaya pelayanan', 'Tidak baik', 'Kurang baik', 'Baik', 'Sangat baik' FROM survey_rule_sets WHERE code = 'kepmenpan-25-2004';
INSERT INTO survey_elements (rule_set_id, key, code, position, name, question, answer_1, answer_2, answer_3, answer_4)
SELECT id, 'kepastian_biaya', 'U11', 11, 'Kepastian biaya pelayanan', 'Penilaian Anda terhadap kepastian biaya pelayanan', 'Tidak baik', 'Kurang baik', 'Baik', 'Sangat baik' FROM survey_rule_sets WHERE code = 'kepmenpan-25-2004';
INSERT INTO survey_elements (rule_set_id, key, code, position, name, question, answer_1, answer_2, answer_3, answer_4)
SELECT id, 'kepastian_jadwal', 'U12', 12, 'Kepastian jadwal pelayanan', 'Penilaian Anda terhadap kepastian jadwal pelayanan', 'Tidak baik', 'Kurang baik', 'Baik', 'Sangat baik' FROM survey_rule_sets WHERE code = 'kepmenpan-25-2004';
INSERT INTO survey_elements (rule_set_id, key, code, position, name, question, answer_1, answer_2, answer_3, answer_4)
SELECT id, 'kenyamanan_lingkungan', 'U13', 13, 'Kenyamanan lingkungan', 'Penilaian Anda terhadap kenyamanan lingkungan', 'Tidak baik', 'Kurang baik', 'Baik', 'Sangat baik' FROM survey_rule_sets WHERE code = 'kepmenpan-25-2004';
INSERT INTO survey_elements (rule_set_id, key, code, position, name, question, answer_1, answer_2, answer_3, answer_4)
SELECT id, 'keamanan_pelayanan', 'U14', 14, 'Keamanan pelayanan', 'Penilaian Anda terhadap keamanan pelayanan', 'Tidak baik', 'Kurang baik', 'Baik', 'Sangat baik' FROM survey_rule_sets WHERE code = 'kepmenpan-25-2004';
