//! Checks of single API parameters, each refusing with 422 and the parameter named
//! (issue 21): what the OpenAPI document allows is accepted, nothing else is clamped
//! or ignored silently.

use chrono::{Datelike, NaiveDate};

use super::api_error::ApiError;

/// The first year a date parameter may name: older than any digital complaint or
/// survey record a unit keeps (and the lower bound of the complaint form's event date).
pub const FIRST_YEAR: i32 = 1990;
/// The last year a date parameter may name. Far enough for any planning horizon, and
/// keeps the date arithmetic of the analytics (`as_of` ± three years) well inside
/// what chrono and both databases represent.
pub const LAST_YEAR: i32 = 2100;

/// A text parameter: any text without a NUL character (PostgreSQL cannot store one
/// and no person types one).
pub fn text<'a>(field: &str, value: Option<&'a str>) -> Result<Option<&'a str>, ApiError> {
    match value {
        Some(v) if v.contains('\0') => Err(ApiError::param(field, "nul", &[])),
        other => Ok(other),
    }
}

/// A parameter that must name something when present: an empty `field=` is refused
/// (the document gives it `minLength: 1` or a format an empty text does not meet).
pub fn non_empty<'a>(field: &str, value: Option<&'a str>) -> Result<Option<&'a str>, ApiError> {
    match text(field, value)? {
        Some("") => Err(ApiError::param(field, "empty", &[])),
        other => Ok(other),
    }
}

/// An integer parameter between `min` and `max` inclusive.
pub fn integer(field: &str, value: Option<&str>, min: i64, max: i64) -> Result<Option<i64>, ApiError> {
    let Some(raw) = value else { return Ok(None) };
    let range = [("min", min.to_string()), ("max", max.to_string())];
    let range: Vec<(&str, &str)> = range.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let n = raw
        .trim()
        .parse::<i128>()
        .map_err(|_| ApiError::param(field, "not_integer", &range))?;
    if n < i128::from(min) || n > i128::from(max) {
        return Err(ApiError::param(field, "out_of_range", &range));
    }
    Ok(Some(n as i64))
}

/// A parameter limited to a list of values.
pub fn one_of<'a>(field: &str, value: Option<&'a str>, allowed: &[&str]) -> Result<Option<&'a str>, ApiError> {
    let Some(v) = value else { return Ok(None) };
    if allowed.contains(&v) {
        Ok(Some(v))
    } else {
        let shown: String = v.chars().take(40).collect();
        Err(ApiError::param(
            field,
            "one_of",
            &[("allowed", &allowed.join(", ")), ("value", &format!("{shown:?}"))],
        ))
    }
}

/// A `YYYY-MM-DD` parameter between [`FIRST_YEAR`] and [`LAST_YEAR`]; an empty one
/// and anything else is a 422 before any arithmetic is done with it.
pub fn date(field: &str, value: Option<&str>) -> Result<Option<NaiveDate>, ApiError> {
    let Some(v) = non_empty(field, value)? else {
        return Ok(None);
    };
    let date = NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d")
        .ok()
        .filter(|_| v.trim().len() == 10)
        .ok_or_else(|| ApiError::param(field, "date_format", &[]))?;
    if !(FIRST_YEAR..=LAST_YEAR).contains(&date.year()) {
        return Err(ApiError::param(
            field,
            "date_range",
            &[
                ("min", &format!("{FIRST_YEAR}-01-01")),
                ("max", &format!("{LAST_YEAR}-12-31")),
            ],
        ));
    }
    Ok(Some(date))
}

/// The pattern the OpenAPI document gives every date parameter: the years
/// [`FIRST_YEAR`]..=[`LAST_YEAR`] in `YYYY-MM-DD` (the `format: date` beside it
/// rules out the days a month lacks).
pub const DATE_PATTERN: &str = "^(199[0-9]|20[0-9][0-9]|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_outside_the_range_or_not_integers_name_the_field() {
        assert_eq!(integer("limit", Some("5"), 1, 1000).unwrap(), Some(5));
        for bad in ["0", "-5", "5000", "abc", "", "1e3", "99999999999999999999999999"] {
            let e = integer("limit", Some(bad), 1, 1000).unwrap_err();
            assert_eq!(e.status, 422, "{bad}");
            assert_eq!(e.fields[0].field, "limit");
            assert!(e.message.contains("limit"), "{}", e.message);
        }
    }

    #[test]
    fn dates_must_be_full_dates_in_the_range() {
        assert!(date("from", Some("2026-02-28")).unwrap().is_some());
        for bad in ["", " ", "2026-02-30", "0057-01-01", "2026-1-1", "kemarin", "2101-01-01"] {
            let e = date("from", Some(bad)).unwrap_err();
            assert_eq!(e.fields[0].field, "from", "{bad}");
        }
    }
}
