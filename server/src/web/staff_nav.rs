//! The one navigation every staff page of a unit carries (issue 21): inbox, new
//! complaint, survey, reports, dashboard and, for admins, settings. It lists only
//! the pages the reader's roles in that unit may open, using the same role sets the
//! handlers check, and the admin-only settings hub those links lead to.

use askama::Template;
use axum::response::Html;

use super::{ErrorPage, PageChrome, Reader};
use crate::auth::{HANDLE_COMPLAINTS, MANAGE_UNIT, READ_AUDIT, READ_COMPLAINTS, UnitStaff};
use crate::domain::Role;
use crate::i18n::Tr;
use crate::storage::model::Unit;

/// One link of the staff navigation.
#[derive(Debug, Clone)]
pub struct NavItem {
    /// Stable name, for tests and styling (`data-nav`).
    pub key: &'static str,
    /// Where it goes.
    pub href: String,
    /// What it says, in the reader's language.
    pub label: &'static str,
    /// This page belongs to the item's section (`aria-current="page"`).
    pub current: bool,
}

/// The staff navigation of one unit, as the base layout draws it.
#[derive(Debug, Clone)]
pub struct StaffNav {
    /// The unit's short name, shown first.
    pub unit_name: String,
    /// The links this reader may follow, in order.
    pub items: Vec<NavItem>,
}

/// One entry of the navigation: its key, label key, target below `/staf/{unit}`,
/// the path prefixes (below `/staf/{unit}`) that count as its section, and the
/// roles that may open the target (the ones the target handler requires).
struct Entry {
    key: &'static str,
    label: &'static str,
    target: &'static str,
    section: &'static [&'static str],
    roles: &'static [Role],
}

/// The navigation's entries, in order.
const ITEMS: &[Entry] = &[
    Entry {
        key: "home",
        label: "staff_nav.home",
        target: "",
        section: &[],
        roles: READ_COMPLAINTS,
    },
    Entry {
        key: "inbox",
        label: "staff_nav.inbox",
        target: "/pengaduan",
        section: &["/pengaduan", "/kartu-kendali", "/impor-lapor"],
        roles: READ_COMPLAINTS,
    },
    Entry {
        key: "new",
        label: "staff_nav.new",
        target: "/pengaduan/baru",
        section: &["/pengaduan/baru"],
        roles: HANDLE_COMPLAINTS,
    },
    Entry {
        key: "survey",
        label: "staff_nav.survey",
        target: "/survei/periode",
        section: &["/survei", "/kios"],
        roles: READ_COMPLAINTS,
    },
    Entry {
        key: "reports",
        label: "staff_nav.reports",
        target: "/laporan",
        section: &["/laporan", "/tindak-lanjut"],
        roles: READ_COMPLAINTS,
    },
    Entry {
        key: "dashboard",
        label: "staff_nav.dashboard",
        target: "/dasbor",
        section: &["/dasbor"],
        roles: READ_COMPLAINTS,
    },
    Entry {
        key: "settings",
        label: "staff_nav.settings",
        target: "/pengaturan",
        section: &[
            "/pengaturan",
            "/pengguna",
            "/token",
            "/saluran",
            "/hari-libur",
            "/jenis",
            "/templat-jawaban",
            "/audit",
        ],
        roles: MANAGE_UNIT,
    },
];

/// The unit code of a path inside a unit's staff area (`/staf/{unit}` or below).
pub fn unit_code_of(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("/staf/")?;
    let code = rest.split('/').next().unwrap_or_default();
    (!code.is_empty()).then_some(code)
}

/// The navigation for a reader holding `roles` in `unit`, on page `path`. Each
/// section is marked current when the path lies in it; the most specific one wins
/// (`/pengaduan/baru` is "new complaint", not "inbox").
pub fn build(tr: Tr, unit_code: &str, unit_name: &str, roles: &[Role], path: &str) -> StaffNav {
    let base = format!("/staf/{unit_code}");
    let below = path.strip_prefix(&base).unwrap_or_default();
    let in_section = |prefix: &str| below == prefix || below.starts_with(&format!("{prefix}/"));
    let current: &str = ITEMS
        .iter()
        .filter_map(|e| {
            e.section
                .iter()
                .filter(|p| in_section(p))
                .map(|p| p.len())
                .max()
                .map(|len| (len, e.key))
        })
        .max()
        .map(|(_, key)| key)
        .unwrap_or(if below.is_empty() { "home" } else { "" });
    let items = ITEMS
        .iter()
        .filter(|e| roles.iter().any(|r| e.roles.contains(r)))
        .map(|e| NavItem {
            key: e.key,
            href: format!("{base}{}", e.target),
            label: tr.t(e.label),
            current: e.key == current,
        })
        .collect();
    StaffNav {
        unit_name: unit_name.to_owned(),
        items,
    }
}

#[derive(Template)]
#[template(path = "staff_settings.html")]
struct SettingsPage {
    tr: Tr,
    page: PageChrome,
    unit: Unit,
    can_audit: bool,
}

/// The unit's settings hub (admins only): accounts, tokens, channels, calendar,
/// complaint types, and the audit log.
pub async fn settings_page(staff: UnitStaff, reader: Reader) -> Result<Html<String>, ErrorPage> {
    staff.require(MANAGE_UNIT)?;
    Ok(Html(
        SettingsPage {
            tr: reader.tr,
            page: reader.page,
            can_audit: staff.has_any(READ_AUDIT),
            unit: staff.unit,
        }
        .render()?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    fn build(tr: Tr, roles: &[Role], path: &str) -> StaffNav {
        super::build(tr, "dinsos", "Dinsos", roles, path)
    }

    fn keys(nav: &StaffNav) -> Vec<&'static str> {
        nav.items.iter().map(|i| i.key).collect()
    }

    fn current(nav: &StaffNav) -> Vec<&'static str> {
        nav.items.iter().filter(|i| i.current).map(|i| i.key).collect()
    }

    #[test]
    fn each_role_sees_only_what_it_may_open() {
        let tr = Tr { lang: Lang::Id };
        let all = ["home", "inbox", "new", "survey", "reports", "dashboard", "settings"];
        assert_eq!(
            keys(&build(tr, &[Role::Admin], "/staf/dinsos")),
            ["home", "inbox", "survey", "reports", "dashboard", "settings"]
        );
        assert_eq!(
            keys(&build(tr, &[Role::Petugas], "/staf/dinsos")),
            ["home", "inbox", "new", "survey", "reports", "dashboard"]
        );
        assert_eq!(
            keys(&build(tr, &[Role::Auditor], "/staf/dinsos")),
            ["home", "inbox", "survey", "reports", "dashboard"]
        );
        assert_eq!(keys(&build(tr, &[Role::Petugas, Role::Admin], "/staf/dinsos")), all);
        assert!(build(tr, &[], "/staf/dinsos").items.is_empty());
    }

    #[test]
    fn the_most_specific_section_is_current() {
        let tr = Tr { lang: Lang::Id };
        let roles = [Role::Petugas, Role::Admin];
        for (path, expected) in [
            ("/staf/dinsos", "home"),
            ("/staf/dinsos/pengaduan", "inbox"),
            ("/staf/dinsos/pengaduan/17", "inbox"),
            ("/staf/dinsos/pengaduan/baru", "new"),
            ("/staf/dinsos/survei/qr", "survey"),
            ("/staf/dinsos/kios", "survey"),
            ("/staf/dinsos/laporan/3", "reports"),
            ("/staf/dinsos/dasbor", "dashboard"),
            ("/staf/dinsos/saluran", "settings"),
        ] {
            assert_eq!(current(&build(tr, &roles, path)), [expected], "{path}");
        }
        assert!(current(&build(tr, &roles, "/staf/dinsos/lain")).is_empty());
        assert!(current(&build(tr, &roles, "/staf/dinsos/pengaduanx")).is_empty());
        assert_eq!(unit_code_of("/staf/dinsos/pengaduan"), Some("dinsos"));
        assert_eq!(unit_code_of("/staf"), None);
        assert_eq!(unit_code_of("/staf/"), None);
        assert_eq!(unit_code_of("/sistem/pengguna"), None);
    }
}
