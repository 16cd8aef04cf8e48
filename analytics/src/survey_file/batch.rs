//! A typed batch: the rows of one CSV chunk or Parquet slice after their columns were
//! decoded and checked, as the sums take them. Dates are epoch days, scores one byte
//! each (0 = unanswered), labels dictionary codes into the batch's own labels, so a
//! consumer looks each distinct label up once per batch, not once per row.

use polars_core::prelude::PlHashMap;

use super::TEXT_SLOTS;

/// One label column of a batch.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Labels<'a> {
    /// Every row has this label (the column is absent, or one value fills it).
    Same(Option<&'a str>),
    /// Row `r` has `labels[codes[r]]`; every row's code is valid.
    Coded {
        /// One code per row.
        codes: &'a [u32],
        /// The distinct labels (trimmed; `None` for an empty cell).
        labels: &'a [Option<&'a str>],
    },
}

/// Rows of a file, typed and checked.
pub(crate) struct Rows<'a> {
    /// Rows in the batch.
    pub len: usize,
    /// Accepted rows; the others are left out.
    pub keep: &'a [bool],
    /// Epoch day of each row (meaningful for kept rows).
    pub days: &'a [i32],
    /// `len × k` scores in rule-set element order, 0 = unanswered.
    pub scores: &'a [u8],
    /// Unit, service and the profile columns (see [`super::TEXT_SLOTS`]).
    pub texts: [Labels<'a>; TEXT_SLOTS],
    /// Ages, when the file has the column.
    pub umur: Option<&'a [Option<u32>]>,
}

/// Builds the codes of one label column from its cells, row by row.
#[derive(Default)]
pub(crate) struct Coder<'a, K> {
    map: PlHashMap<K, u32>,
    last: Option<(K, u32)>,
    /// One code per row pushed.
    pub codes: Vec<u32>,
    /// The distinct labels.
    pub labels: Vec<Option<&'a str>>,
}

impl<'a, K: std::hash::Hash + Eq + Copy> Coder<'a, K> {
    /// Adds a row whose cell has identity `key` (equal keys, equal labels); `label`
    /// gives its label when the key is new.
    #[inline]
    pub(crate) fn push(&mut self, key: K, label: impl FnOnce() -> Option<&'a str>) {
        if let Some((k, c)) = self.last
            && k == key
        {
            self.codes.push(c);
            return;
        }
        let labels = &mut self.labels;
        let code = *self.map.entry(key).or_insert_with(|| {
            labels.push(label());
            labels.len() as u32 - 1
        });
        self.last = Some((key, code));
        self.codes.push(code);
    }

    /// The column for a batch.
    pub(crate) fn labels(&self) -> Labels<'_> {
        Labels::Coded {
            codes: &self.codes,
            labels: &self.labels,
        }
    }
}

/// A text cell as a label: trimmed, `None` when empty.
#[inline]
pub(crate) fn label(cell: &str) -> Option<&str> {
    Some(cell.trim()).filter(|t| !t.is_empty())
}
