-- Tanggap schema, SQLite dialect. Keep in step with migrations/postgres/0001_schema.sql.
-- Timestamps are UTC, stored as RFC 3339 text; dates as YYYY-MM-DD text.

CREATE TABLE units (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE CHECK (code <> '' AND code NOT GLOB '*[^a-z0-9-]*'),
    name TEXT NOT NULL CHECK (name <> ''),
    short_name TEXT NOT NULL,
    address TEXT NOT NULL DEFAULT '',
    city TEXT NOT NULL DEFAULT '',
    phone TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL DEFAULT '',
    time_zone TEXT NOT NULL DEFAULT 'Asia/Jakarta',
    letterhead TEXT NOT NULL DEFAULT '',
    head_title TEXT NOT NULL DEFAULT '',
    head_name TEXT NOT NULL DEFAULT '',
    head_nip TEXT NOT NULL DEFAULT '',
    agenda_format TEXT NOT NULL DEFAULT 'ADU/{year}/{number:06}',
    ktp_required_indirect INTEGER NOT NULL DEFAULT 0 CHECK (ktp_required_indirect IN (0, 1)),
    complaint_channels TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);

CREATE TABLE sla_targets (
    unit_id INTEGER NOT NULL REFERENCES units(id) ON DELETE CASCADE,
    bobot TEXT NOT NULL CHECK (bobot IN ('ringan', 'sedang', 'berat')),
    first_answer_days INTEGER CHECK (first_answer_days > 0),
    resolve_days INTEGER NOT NULL CHECK (resolve_days > 0),
    PRIMARY KEY (unit_id, bobot)
);

CREATE TABLE divisions (
    id INTEGER PRIMARY KEY,
    unit_id INTEGER NOT NULL REFERENCES units(id) ON DELETE CASCADE,
    name TEXT NOT NULL CHECK (name <> ''),
    CONSTRAINT divisions_unit_name_key UNIQUE (unit_id, name)
);

CREATE TABLE services (
    id INTEGER PRIMARY KEY,
    unit_id INTEGER NOT NULL REFERENCES units(id) ON DELETE CASCADE,
    division_id INTEGER REFERENCES divisions(id) ON DELETE SET NULL,
    code TEXT NOT NULL CHECK (code <> ''),
    name TEXT NOT NULL CHECK (name <> ''),
    requirements TEXT NOT NULL DEFAULT '',
    completion_days INTEGER NOT NULL DEFAULT 0 CHECK (completion_days >= 0),
    completion_text TEXT NOT NULL DEFAULT '',
    working_days INTEGER NOT NULL DEFAULT 1 CHECK (working_days IN (0, 1)),
    fee_rupiah INTEGER NOT NULL DEFAULT 0 CHECK (fee_rupiah >= 0),
    fee_text TEXT NOT NULL DEFAULT '',
    product TEXT NOT NULL DEFAULT '',
    complaint_channels TEXT NOT NULL DEFAULT '',
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    position INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT services_unit_code_key UNIQUE (unit_id, code)
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL CHECK (username <> ''),
    full_name TEXT NOT NULL,
    email TEXT NOT NULL DEFAULT '',
    password_hash TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at TEXT NOT NULL,
    password_changed_at TEXT NOT NULL
);
CREATE UNIQUE INDEX users_username_key ON users (lower(username));

CREATE TABLE user_roles (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    unit_id INTEGER NOT NULL REFERENCES units(id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('admin', 'petugas', 'kepala_bidang', 'sekretaris', 'kepala_dinas', 'auditor')),
    division_id INTEGER REFERENCES divisions(id) ON DELETE SET NULL,
    PRIMARY KEY (user_id, unit_id, role)
);
CREATE INDEX user_roles_unit ON user_roles (unit_id, role);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    ip TEXT NOT NULL DEFAULT '',
    user_agent TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);

CREATE TABLE login_attempts (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL,
    ip TEXT NOT NULL,
    at TEXT NOT NULL,
    success INTEGER NOT NULL CHECK (success IN (0, 1))
);
CREATE INDEX login_attempts_username ON login_attempts (username, at);
CREATE INDEX login_attempts_ip ON login_attempts (ip, at);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    unit_id INTEGER NOT NULL REFERENCES units(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    scopes TEXT NOT NULL DEFAULT '',
    created_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at TEXT
);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    user_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
    unit_id INTEGER REFERENCES units(id) ON DELETE SET NULL,
    action TEXT NOT NULL,
    entity TEXT NOT NULL DEFAULT '',
    entity_id TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT '',
    ip TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_unit_at ON audit_log (unit_id, at);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

CREATE TABLE holidays (
    day TEXT PRIMARY KEY CHECK (day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('libur_nasional', 'cuti_bersama')),
    source TEXT NOT NULL DEFAULT ''
);

CREATE TABLE jenis_pengaduan (
    id INTEGER PRIMARY KEY,
    unit_id INTEGER NOT NULL REFERENCES units(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('skm', 'maladministrasi', 'lainnya')),
    skm_element_key TEXT,
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    position INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT jenis_unit_key UNIQUE (unit_id, key)
);

CREATE TABLE agenda_counters (
    unit_id INTEGER NOT NULL REFERENCES units(id) ON DELETE CASCADE,
    year INTEGER NOT NULL,
    last_number INTEGER NOT NULL,
    PRIMARY KEY (unit_id, year)
);

CREATE TABLE complaints (
    id INTEGER PRIMARY KEY,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    agenda_year INTEGER NOT NULL,
    agenda_number INTEGER NOT NULL CHECK (agenda_number > 0),
    nomor_agenda TEXT NOT NULL,
    tracking_code TEXT NOT NULL,
    channel TEXT NOT NULL CHECK (channel IN ('kotak_saran', 'surat', 'tatap_muka', 'telepon', 'fax', 'sms', 'whatsapp', 'email', 'website', 'media_sosial', 'span_lapor', 'skm')),
    channel_ref TEXT,
    channel_detail TEXT,
    received_at TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    recorded_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    complainant_name TEXT,
    complainant_phone TEXT,
    complainant_email TEXT,
    complainant_address TEXT,
    complainant_nik TEXT CHECK (complainant_nik IS NULL OR (length(complainant_nik) = 16 AND complainant_nik NOT GLOB '*[^0-9]*')),
    anonim INTEGER NOT NULL DEFAULT 0 CHECK (anonim IN (0, 1)),
    rahasia INTEGER NOT NULL DEFAULT 0 CHECK (rahasia IN (0, 1)),
    subject TEXT NOT NULL CHECK (subject <> ''),
    description TEXT NOT NULL,
    event_place TEXT,
    event_date TEXT,
    klasifikasi TEXT NOT NULL DEFAULT 'pengaduan' CHECK (klasifikasi IN ('pengaduan', 'aspirasi', 'permintaan_informasi')),
    jenis_id INTEGER REFERENCES jenis_pengaduan(id) ON DELETE SET NULL,
    service_id INTEGER REFERENCES services(id) ON DELETE SET NULL,
    division_id INTEGER REFERENCES divisions(id) ON DELETE SET NULL,
    bobot TEXT CHECK (bobot IN ('ringan', 'sedang', 'berat')),
    status TEXT NOT NULL DEFAULT 'diterima' CHECK (status IN ('diterima', 'terverifikasi', 'didisposisikan', 'ditindaklanjuti', 'dijawab', 'selesai', 'bukan_wewenang', 'dikembalikan', 'diarsipkan', 'dibuka_kembali')),
    assignee_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
    first_answer_due_at TEXT,
    due_at TEXT,
    first_answered_at TEXT,
    answered_at TEXT,
    closed_at TEXT,
    merged_into_id INTEGER REFERENCES complaints(id),
    escalation_ref TEXT,
    survey_response_id INTEGER,
    updated_at TEXT NOT NULL,
    CONSTRAINT complaints_agenda_key UNIQUE (unit_id, agenda_year, agenda_number),
    CONSTRAINT complaints_nomor_agenda_key UNIQUE (unit_id, nomor_agenda),
    CONSTRAINT complaints_tracking_code_key UNIQUE (tracking_code),
    CONSTRAINT complaints_channel_ref_key UNIQUE (unit_id, channel, channel_ref)
);
CREATE INDEX complaints_inbox ON complaints (unit_id, status, due_at);
CREATE INDEX complaints_received ON complaints (unit_id, received_at);
CREATE INDEX complaints_service ON complaints (service_id, received_at);
CREATE INDEX complaints_assignee ON complaints (assignee_id, status);

CREATE TABLE complaint_events (
    id INTEGER PRIMARY KEY,
    complaint_id INTEGER NOT NULL REFERENCES complaints(id) ON DELETE CASCADE,
    at TEXT NOT NULL,
    actor_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
    kind TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT,
    holder_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX complaint_events_complaint ON complaint_events (complaint_id, at);

CREATE TABLE complaint_messages (
    id INTEGER PRIMARY KEY,
    complaint_id INTEGER NOT NULL REFERENCES complaints(id) ON DELETE CASCADE,
    direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    channel TEXT NOT NULL,
    at TEXT NOT NULL,
    sender TEXT NOT NULL DEFAULT '',
    subject TEXT NOT NULL DEFAULT '',
    body TEXT NOT NULL,
    message_ref TEXT
);
CREATE INDEX complaint_messages_complaint ON complaint_messages (complaint_id, at);
CREATE UNIQUE INDEX complaint_messages_ref ON complaint_messages (channel, message_ref);

CREATE TABLE attachments (
    id INTEGER PRIMARY KEY,
    complaint_id INTEGER REFERENCES complaints(id) ON DELETE CASCADE,
    message_id INTEGER REFERENCES complaint_messages(id) ON DELETE CASCADE,
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes INTEGER NOT NULL CHECK (size_bytes >= 0),
    sha256 TEXT NOT NULL,
    content BLOB NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX attachments_complaint ON attachments (complaint_id);

CREATE TABLE unit_channel_settings (
    unit_id INTEGER NOT NULL REFERENCES units(id) ON DELETE CASCADE,
    channel TEXT NOT NULL,
    config TEXT NOT NULL DEFAULT '{}',
    enabled INTEGER NOT NULL DEFAULT 0 CHECK (enabled IN (0, 1)),
    PRIMARY KEY (unit_id, channel)
);

CREATE TABLE answer_templates (
    id INTEGER PRIMARY KEY,
    unit_id INTEGER NOT NULL REFERENCES units(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    body TEXT NOT NULL,
    CONSTRAINT answer_templates_unit_name UNIQUE (unit_id, name)
);

CREATE TABLE survey_rule_sets (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    citation TEXT NOT NULL,
    is_default INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1))
);

CREATE TABLE survey_elements (
    id INTEGER PRIMARY KEY,
    rule_set_id INTEGER NOT NULL REFERENCES survey_rule_sets(id),
    key TEXT NOT NULL,
    code TEXT NOT NULL,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    question TEXT NOT NULL DEFAULT '',
    answer_1 TEXT NOT NULL DEFAULT '',
    answer_2 TEXT NOT NULL DEFAULT '',
    answer_3 TEXT NOT NULL DEFAULT '',
    answer_4 TEXT NOT NULL DEFAULT '',
    CONSTRAINT survey_elements_key UNIQUE (rule_set_id, key),
    CONSTRAINT survey_elements_position UNIQUE (rule_set_id, position)
);

CREATE TABLE survey_periods (
    id INTEGER PRIMARY KEY,
    unit_id INTEGER NOT NULL REFERENCES units(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    starts_on TEXT NOT NULL,
    ends_on TEXT NOT NULL,
    rule_set_id INTEGER NOT NULL REFERENCES survey_rule_sets(id),
    target_responses INTEGER,
    CHECK (ends_on >= starts_on),
    CONSTRAINT survey_periods_unit_name UNIQUE (unit_id, name)
);

CREATE TABLE survey_populations (
    period_id INTEGER NOT NULL REFERENCES survey_periods(id) ON DELETE CASCADE,
    service_id INTEGER NOT NULL REFERENCES services(id) ON DELETE CASCADE,
    population INTEGER NOT NULL CHECK (population >= 0),
    source TEXT NOT NULL DEFAULT 'entered' CHECK (source IN ('entered', 'counted')),
    PRIMARY KEY (period_id, service_id)
);

CREATE TABLE kiosks (
    id INTEGER PRIMARY KEY,
    unit_id INTEGER NOT NULL REFERENCES units(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    service_id INTEGER REFERENCES services(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);

CREATE TABLE survey_invites (
    id INTEGER PRIMARY KEY,
    unit_id INTEGER NOT NULL REFERENCES units(id) ON DELETE CASCADE,
    service_id INTEGER REFERENCES services(id) ON DELETE SET NULL,
    token_hash TEXT NOT NULL UNIQUE,
    transaction_ref TEXT,
    channel TEXT NOT NULL,
    created_at TEXT NOT NULL,
    used_at TEXT
);

CREATE TABLE survey_responses (
    id INTEGER PRIMARY KEY,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    service_id INTEGER REFERENCES services(id) ON DELETE SET NULL,
    rule_set_id INTEGER NOT NULL REFERENCES survey_rule_sets(id),
    responded_on TEXT NOT NULL,
    submitted_at TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('web', 'kiosk', 'qr', 'invite', 'paper', 'import')),
    kiosk_id INTEGER REFERENCES kiosks(id) ON DELETE SET NULL,
    invite_id INTEGER REFERENCES survey_invites(id) ON DELETE SET NULL,
    import_key TEXT,
    entered_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    jenis_kelamin TEXT CHECK (jenis_kelamin IN ('L', 'P')),
    umur INTEGER CHECK (umur BETWEEN 10 AND 120),
    pendidikan TEXT CHECK (pendidikan IN ('SD', 'SMP', 'SMA/SMK', 'D1-D3', 'D4/S1', 'S2', 'S3')),
    pekerjaan TEXT CHECK (pekerjaan IN ('PNS', 'TNI/Polri', 'Swasta', 'Wirausaha', 'Pelajar/Mahasiswa', 'Lainnya')),
    saran TEXT,
    -- One score (1-4) per answered element, keyed by the element's stable key
    -- (survey_elements.key), e.g. {"persyaratan":4,"prosedur":3}: identity, never
    -- position. One row per respondent keeps bulk loads and analytics reads fast.
    scores TEXT NOT NULL CHECK (json_valid(scores) AND json_type(scores) = 'object'),
    CONSTRAINT survey_responses_import_key UNIQUE (unit_id, import_key),
    CONSTRAINT survey_responses_invite UNIQUE (invite_id)
);
CREATE INDEX survey_responses_slice ON survey_responses (unit_id, service_id, responded_on);
CREATE INDEX survey_responses_date ON survey_responses (unit_id, responded_on);

CREATE TABLE follow_up_plans (
    id INTEGER PRIMARY KEY,
    unit_id INTEGER NOT NULL REFERENCES units(id) ON DELETE CASCADE,
    period_id INTEGER NOT NULL REFERENCES survey_periods(id) ON DELETE CASCADE,
    element_key TEXT NOT NULL,
    action TEXT NOT NULL,
    owner TEXT NOT NULL,
    deadline TEXT NOT NULL,
    realisation TEXT,
    realised_on TEXT
);

CREATE TABLE report_versions (
    id INTEGER PRIMARY KEY,
    unit_id INTEGER NOT NULL REFERENCES units(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('pengaduan_bulanan', 'skm')),
    period TEXT NOT NULL,
    version INTEGER NOT NULL CHECK (version > 0),
    status TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'returned', 'approved')),
    created_at TEXT NOT NULL,
    created_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    preparer_note TEXT NOT NULL DEFAULT '',
    submitted_at TEXT,
    reviewed_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    reviewed_at TEXT,
    review_note TEXT,
    data_json TEXT NOT NULL DEFAULT '{}',
    html TEXT,
    pdf BLOB,
    xlsx BLOB,
    CONSTRAINT report_versions_key UNIQUE (unit_id, kind, period, version)
);

CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    unit_id INTEGER REFERENCES units(id) ON DELETE SET NULL,
    complaint_id INTEGER REFERENCES complaints(id) ON DELETE SET NULL,
    channel TEXT NOT NULL CHECK (channel IN ('email', 'sms', 'whatsapp')),
    recipient TEXT NOT NULL,
    subject TEXT,
    body TEXT NOT NULL,
    headers TEXT NOT NULL DEFAULT '{}',
    dedupe_key TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    locked_until TEXT,
    last_error TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);

CREATE TABLE job_leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    lease_until TEXT NOT NULL,
    last_run_at TEXT
);
