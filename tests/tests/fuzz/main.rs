//! Fuzz targets for the parsers at the edges (issue 22): the gateway JSON, the
//! complaint form's multipart reader, the survey form, the SPAN-LAPOR! import end to
//! end. Each is a proptest property on both databases (case counts sized for CI;
//! `PROPTEST_CASES` and `scripts/fuzz.sh` run them long) plus a replay of the corpus
//! in `tests/corpus/<parser>/`: inputs that once failed, and hand-made hostile ones.

mod complaint_form;
mod gateway;
mod lapor;
mod support;
mod survey_form;
