-- Trust (issue 17): the national calendar (`holidays`: libur nasional and cuti
-- bersama) is kept by the system-level role; a unit keeps only its own local days
-- off (a regional holiday, an office closure), which count for that unit alone.
-- A unit's working days are Monday to Friday minus `holidays` and its own rows here.
CREATE TABLE unit_days_off (
    unit_id BIGINT NOT NULL REFERENCES units(id) ON DELETE CASCADE,
    day DATE NOT NULL,
    name TEXT NOT NULL CHECK (name <> ''),
    PRIMARY KEY (unit_id, day)
);
