//! Translations: every word a citizen or officer reads comes from `locales/*.toml`.
//!
//! Bahasa Indonesia is the primary language and the fallback; English is the second.
//! Files are embedded at build time, and a test checks that both hold the same keys
//! and that every key the templates use exists.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

/// A language the interface is available in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// Bahasa Indonesia, the default.
    #[default]
    Id,
    /// English.
    En,
}

impl Lang {
    /// Every language, in the order the switch shows them.
    pub const ALL: [Lang; 2] = [Lang::Id, Lang::En];

    /// BCP 47 code, for `<html lang>` and the switch.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Id => "id",
            Lang::En => "en",
        }
    }

    /// Reads a language code; anything unknown is `None`.
    pub fn parse(code: &str) -> Option<Lang> {
        match code.trim().to_ascii_lowercase().as_str() {
            "id" | "id-id" | "in" => Some(Lang::Id),
            "en" | "en-us" | "en-gb" => Some(Lang::En),
            _ => None,
        }
    }
}

const SOURCES: [(Lang, &str); 2] = [
    (Lang::Id, include_str!("../locales/id.toml")),
    (Lang::En, include_str!("../locales/en.toml")),
];

type Table = HashMap<String, String>;

fn tables() -> &'static HashMap<Lang, Table> {
    static TABLES: OnceLock<HashMap<Lang, Table>> = OnceLock::new();
    TABLES.get_or_init(|| {
        SOURCES
            .iter()
            .map(|(lang, text)| {
                let value: toml::Value = toml::from_str(text).expect("locale files are valid TOML (checked by tests)");
                let mut table = Table::new();
                flatten("", &value, &mut table);
                (*lang, table)
            })
            .collect()
    })
}

fn flatten(prefix: &str, value: &toml::Value, out: &mut Table) {
    match value {
        toml::Value::Table(map) => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        toml::Value::String(s) => {
            out.insert(prefix.to_owned(), s.clone());
        }
        other => {
            out.insert(prefix.to_owned(), other.to_string());
        }
    }
}

/// Looks up `key` in `lang`, falling back to Indonesian, then to the key itself
/// (so a missing string shows up visibly instead of as a blank).
pub fn t(lang: Lang, key: &str) -> &'static str {
    let tables = tables();
    tables
        .get(&lang)
        .and_then(|t| t.get(key))
        .or_else(|| tables.get(&Lang::Id).and_then(|t| t.get(key)))
        .map(String::as_str)
        .unwrap_or_else(|| {
            tracing::warn!(key, lang = lang.code(), "missing translation");
            Box::leak(key.to_owned().into_boxed_str())
        })
}

/// Looks up `key` and replaces `{name}` placeholders.
pub fn tf(lang: Lang, key: &str, args: &[(&str, &str)]) -> String {
    let mut text = t(lang, key).to_owned();
    for (name, value) in args {
        text = text.replace(&format!("{{{name}}}"), value);
    }
    text
}

/// The translator handed to templates: `{{ tr.t("home.title") }}`.
#[derive(Debug, Clone, Copy)]
pub struct Tr {
    /// The reader's language.
    pub lang: Lang,
}

impl Tr {
    /// Text for `key` in the reader's language.
    pub fn t(&self, key: &str) -> &'static str {
        t(self.lang, key)
    }

    /// Text for `key` with one `{n}` placeholder filled.
    pub fn tn(&self, key: &str, n: &i64) -> String {
        tf(self.lang, key, &[("n", &n.to_string())])
    }

    /// The language code.
    pub fn code(&self) -> &'static str {
        self.lang.code()
    }
}

/// All keys of one language, for tests and tooling.
pub fn keys(lang: Lang) -> Vec<&'static str> {
    let mut keys: Vec<&'static str> = tables()[&lang].keys().map(String::as_str).collect();
    keys.sort_unstable();
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_have_the_same_keys() {
        assert_eq!(keys(Lang::Id), keys(Lang::En));
        assert!(keys(Lang::Id).len() > 20);
    }

    #[test]
    fn every_key_used_in_templates_and_code_exists() {
        let known = keys(Lang::Id);
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
        let mut used = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for piece in text.split("tr.t(\"").skip(1).chain(text.split("tr.tn(\"").skip(1)) {
                used.push(piece.split('"').next().unwrap().to_owned());
            }
        }
        assert!(used.len() > 10, "the scan found the template keys");
        for key in used {
            assert!(
                known.contains(&key.as_str()),
                "templates use {key:?}, which locales/id.toml lacks"
            );
        }
    }

    #[test]
    fn every_domain_key_has_a_label() {
        use crate::domain::{Channel, ComplaintStatus, Klasifikasi, Role};
        let known = keys(Lang::Id);
        let needed = Channel::ALL
            .iter()
            .map(|c| format!("channel.{c}"))
            .chain(ComplaintStatus::ALL.iter().map(|s| format!("status.{s}")))
            .chain(Klasifikasi::ALL.iter().map(|k| format!("klasifikasi.{k}")))
            .chain(Role::ALL.iter().map(|r| format!("role.{r}")));
        for key in needed {
            assert!(known.contains(&key.as_str()), "locales lack {key}");
        }
    }

    #[test]
    fn language_negotiation() {
        assert_eq!(Lang::parse("EN"), Some(Lang::En));
        assert_eq!(Lang::parse("id-ID"), Some(Lang::Id));
        assert_eq!(Lang::parse("fr"), None);
        assert_eq!(t(Lang::En, "no.such.key"), "no.such.key");
        assert_ne!(t(Lang::En, "home.title"), t(Lang::Id, "home.title"));
    }
}
