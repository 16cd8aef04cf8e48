//! Survey exports in the interchange layout of SKM.md (issue 7): CSV and XLSX with
//! the header `tanggal,unit,layanan,u1..uN,jenis_kelamin,umur,pendidikan,pekerjaan,saran`,
//! the same layout [`crate::survey::import`] and the analytics command line read, so
//! a file exported here imports back unchanged.

use crate::storage::model::{ExportedResponse, SurveyRuleSet};

/// The header row for a rule set: element columns are its codes in lower case, in
/// questionnaire order.
pub fn header(rule_set: &SurveyRuleSet) -> Vec<String> {
    let mut h: Vec<String> = ["tanggal", "unit", "layanan"].map(String::from).to_vec();
    h.extend(rule_set.elements.iter().map(|e| e.code.to_lowercase()));
    h.extend(["jenis_kelamin", "umur", "pendidikan", "pekerjaan", "saran"].map(String::from));
    h
}

/// One response as cells of [`header`].
pub fn record(unit_code: &str, rule_set: &SurveyRuleSet, r: &ExportedResponse) -> Vec<String> {
    let mut cells = vec![r.responded_on.to_string(), unit_code.to_owned(), r.service.clone()];
    cells.extend(
        rule_set
            .elements
            .iter()
            .map(|e| r.scores.get(&e.key).map(i64::to_string).unwrap_or_default()),
    );
    cells.extend([
        r.profile.jenis_kelamin.clone().unwrap_or_default(),
        r.profile.umur.map(|u| u.to_string()).unwrap_or_default(),
        r.profile.pendidikan.clone().unwrap_or_default(),
        r.profile.pekerjaan.clone().unwrap_or_default(),
        r.saran.clone().unwrap_or_default(),
    ]);
    cells
}

/// UTF-8 CSV with a byte-order mark (so spreadsheet programs read it as UTF-8),
/// comma separated. Every cell goes through [`crate::csv_safe::cell`] (text a
/// spreadsheet could run gets a leading apostrophe; the import removes it again).
pub fn to_csv(unit_code: &str, rule_set: &SurveyRuleSet, rows: &[ExportedResponse]) -> Result<Vec<u8>, csv::Error> {
    let mut out = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    out.write_record(header(rule_set))?;
    for r in rows {
        out.write_record(crate::csv_safe::record(record(unit_code, rule_set, r)))?;
    }
    out.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

/// An XLSX workbook with one sheet `SKM` in the same layout; scores and ages are
/// numbers, everything else text (never a formula).
pub fn to_xlsx(
    unit_code: &str,
    rule_set: &SurveyRuleSet,
    rows: &[ExportedResponse],
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("SKM")?;
    let bold = rust_xlsxwriter::Format::new().set_bold();
    for (col, h) in header(rule_set).iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, h, &bold)?;
    }
    let numeric_from = 3;
    let numeric_to = 3 + rule_set.elements.len();
    let umur_col = numeric_to + 1;
    for (i, r) in rows.iter().enumerate() {
        let row = i as u32 + 1;
        for (col, cell) in record(unit_code, rule_set, r).into_iter().enumerate() {
            if cell.is_empty() {
                continue;
            }
            let numeric = (numeric_from..numeric_to).contains(&col) || col == umur_col;
            match cell.parse::<f64>() {
                Ok(n) if numeric => sheet.write_number(row, col as u16, n)?,
                _ => sheet.write_string(row, col as u16, &cell)?,
            };
        }
    }
    book.save_to_buffer()
}
