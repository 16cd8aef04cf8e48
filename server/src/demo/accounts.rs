//! Demo accounts (issue 21): one staff account per role for each demo unit, so a
//! newcomer sees the staff side right after `tanggap serve --demo` without another
//! command. They share one random password, printed once when the demo is loaded;
//! only its argon2 hash is stored, so no password anyone could look up in the docs
//! ever opens a server (docs/operations.md, "Demo accounts").

use crate::domain::Role;
use crate::i18n::{Lang, t};
use crate::storage::Store;
use crate::storage::model::NewUser;

/// The accounts just made and their one password (shown once, never stored).
#[derive(Debug, Clone)]
pub struct DemoAccounts {
    /// The password of every demo account.
    pub password: String,
    /// (username, unit code, role), unit by unit.
    pub accounts: Vec<(String, String, Role)>,
}

/// The login name of a unit's demo account for a role, e.g. `admin-dinsospm-dumai`.
pub fn username(unit_code: &str, role: Role) -> String {
    format!("{}-{unit_code}", role.key())
}

/// Creates the demo accounts of every demo unit with a fresh random password. Call
/// it right after the demo data was loaded (never on a database with real units).
pub async fn create_accounts(store: &dyn Store) -> anyhow::Result<DemoAccounts> {
    let password = crate::passwords::generate();
    // One hash for all: argon2 is slow on purpose, and they share the password.
    let password_hash = crate::passwords::hash(&password)?;
    let mut accounts = Vec::new();
    for seed in super::agencies() {
        let unit = store
            .unit_by_code(&seed.unit.code)
            .await?
            .ok_or_else(|| anyhow::anyhow!("demo unit {} is missing", seed.unit.code))?;
        for &role in Role::ALL {
            let user = NewUser {
                username: username(&unit.code, role),
                full_name: format!("{} {}", t(Lang::Id, &format!("role.{}", role.key())), unit.short_name),
                password_hash: password_hash.clone(),
                roles: vec![(unit.id, role)],
            };
            store.create_user(&user).await?;
            accounts.push((user.username, unit.code.clone(), role));
        }
    }
    Ok(DemoAccounts { password, accounts })
}
