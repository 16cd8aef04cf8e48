//! The words of a document, supplied by the caller from its locale files
//! (server/locales `[reports]`), so every string a person reads is translatable.

use std::collections::HashMap;

/// Flattened `key -> text` table (e.g. `reports.monthly.title`).
#[derive(Debug, Clone, Default)]
pub struct Labels {
    map: HashMap<String, String>,
}

impl Labels {
    /// Wraps a flattened table.
    pub fn new(map: HashMap<String, String>) -> Self {
        Labels { map }
    }

    /// The text of `key`; a missing key prints as the key itself so that it is
    /// noticed (the server's locale tests keep both languages complete).
    pub fn t<'a>(&'a self, key: &'a str) -> &'a str {
        self.map.get(key).map(String::as_str).unwrap_or(key)
    }

    /// The number format of the document's language (`reports.common.lang`): one
    /// format for every table, figure and chart of a document.
    pub fn numbers(&self) -> crate::fmt::NumberFormat {
        crate::fmt::NumberFormat::for_lang(self.t("reports.common.lang"))
    }

    /// The text of `key` with `{name}` placeholders filled in.
    pub fn f(&self, key: &str, args: &[(&str, &str)]) -> String {
        let mut text = self.t(key).to_owned();
        for (name, value) in args {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }
}
