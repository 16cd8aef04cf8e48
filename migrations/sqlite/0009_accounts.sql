-- Trust (issue 17): accounts that span units are managed at system level, and a
-- password someone else set must be replaced by its owner before the account can
-- do anything.
--   system_admin: keeps the national holiday calendar and manages accounts that work
--                 in more than one unit (granted only from the command line).
--   must_change_password: set by an admin's create or reset; cleared when the owner
--                 chooses a new password at their next login.
ALTER TABLE users ADD COLUMN system_admin INTEGER NOT NULL DEFAULT 0 CHECK (system_admin IN (0, 1));
ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0 CHECK (must_change_password IN (0, 1));
