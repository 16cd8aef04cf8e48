//! CSV survey files in blocks: the calling thread reads the file in blocks of a few
//! megabytes cut at record boundaries (found by the CSV reader, or by quote parity for
//! a file that can be read again); worker threads split each block (by hand when its
//! quoting is simple, else with the csv crate into reused byte records), check it
//! column by column and add its rows to their sums. Buffers go back and forth between
//! the threads, so memory is a few blocks per thread whatever the file's length.
//!
//! The dialect is the row-wise reader's: a UTF-8 BOM is skipped, the separator is `;`
//! when the first line has more semicolons than commas (else `,`), rows may be short
//! or long, a record that is not UTF-8 is rejected with the CSV reader's own words.

use std::cell::RefCell;
use std::io::{Read, Seek, SeekFrom};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, mpsc};

use csv::{ByteRecord, ReaderBuilder};

use super::batch::{self, Coder, Labels, Rows};
use super::cells::{self, DateCache};
use super::{FileError, FileIkm, Layout, Plan, Rejected, RowProblem, Sums, TEXT_SLOTS, run_workers, threads};
use crate::ikm::IkmQuery;

/// Bytes per block handed to a worker (a block grows when one record is longer).
#[cfg(not(test))]
const BLOCK: usize = 4 << 20;
/// Records parsed and checked together inside a block.
#[cfg(not(test))]
const CHUNK: usize = 8192;
/// Tiny blocks and chunks in tests, so small files cross many boundaries.
#[cfg(test)]
const BLOCK: usize = 256;
#[cfg(test)]
const CHUNK: usize = 7;

fn builder(delimiter: u8) -> ReaderBuilder {
    let mut b = ReaderBuilder::new();
    b.delimiter(delimiter).flexible(true).has_headers(false);
    b
}

/// Reads until `buf` holds `target` bytes; true at the end of the input.
fn fill(input: &mut impl Read, buf: &mut Vec<u8>, target: usize) -> Result<bool, FileError> {
    if buf.len() >= target {
        return Ok(false);
    }
    let want = target - buf.len();
    let got = input
        .by_ref()
        .take(want as u64)
        .read_to_end(buf)
        .map_err(|e| FileError::Unreadable(e.to_string()))?;
    Ok(got < want)
}

/// Where to cut `block` so it ends with whole records: after the last line break when
/// it holds no quote (every line break then ends a record), else before the last
/// record the CSV reader finds. `None` when the block holds less than one record.
fn cut_point(block: &[u8], delimiter: u8) -> Option<usize> {
    if !block.contains(&b'"') {
        return block.iter().rposition(|b| *b == b'\n').map(|p| p + 1);
    }
    let mut reader = builder(delimiter).from_reader(block);
    let mut record = ByteRecord::new();
    let mut last_start = 0;
    loop {
        let start = reader.position().byte() as usize;
        match reader.read_byte_record(&mut record) {
            Ok(true) => last_start = start,
            _ => break,
        }
    }
    (last_start > 0).then_some(last_start)
}

/// A block of whole records and where it starts in the file.
struct Block {
    index: usize,
    /// Offset of the first byte in the text (after the BOM).
    offset: u64,
    bytes: Vec<u8>,
}

/// What a worker learnt of one block.
struct BlockOut {
    index: usize,
    offset: u64,
    records: u64,
    newlines: u64,
    /// (record index in the block, problem); an unreadable record's position is
    /// block-relative until [`finish_lines`].
    rejected: Vec<(u64, Problem)>,
}

enum Problem {
    Row(RowProblem),
    /// Invalid UTF-8: (record in block, line in block, byte in block, field, valid up to).
    Utf8(u64, u64, u64, usize, usize),
}

/// Reads an interchange CSV and computes `query` over its rows (see the module
/// docs). `default_unit` names the unit of rows without one. Blocks are cut where the
/// CSV reader finds a record boundary, which the reading thread parses alone; for a
/// file that can be read again, [`ikm_csv_file`] is faster.
pub fn ikm_csv(input: impl Read, query: &IkmQuery, default_unit: &str) -> Result<FileIkm, FileError> {
    match run(input, query, default_unit, Cuts::Exact)? {
        Run::Done(ikm) => Ok(*ikm),
        Run::Again => unreachable!("exact cuts never ask for a second pass"),
    }
}

/// [`ikm_csv`] for a file that can be read again from its start (an open file, not a
/// pipe). Blocks are cut at the last line break with an even number of quotes before
/// it, which is a record boundary whenever every quote of the block opens or closes a
/// quoted field (`"unit-13"`, `"a,b"`); the reading thread then only counts quotes.
/// Each block checks that it is so; when one is not (a quote inside an unquoted cell,
/// text after a closing quote, a doubled quote, bytes that are not UTF-8), the file is
/// read again from the start with the exact cuts of [`ikm_csv`], so the result is the
/// same either way. A source that cannot seek is read once, with exact cuts.
pub fn ikm_csv_file<R: Read + Seek>(mut input: R, query: &IkmQuery, default_unit: &str) -> Result<FileIkm, FileError> {
    let Ok(start) = input.stream_position() else {
        return ikm_csv(input, query, default_unit);
    };
    match run(&mut input, query, default_unit, Cuts::Parity)? {
        Run::Done(ikm) => Ok(*ikm),
        Run::Again => {
            input
                .seek(SeekFrom::Start(start))
                .map_err(|e| FileError::Unreadable(e.to_string()))?;
            ikm_csv(input, query, default_unit)
        }
    }
}

/// How the reading thread finds where a block may end.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Cuts {
    /// Before the last record the CSV reader finds in the block.
    Exact,
    /// After the last line break with an even number of quotes before it in the block.
    Parity,
}

/// A pass over the file: its result, or a block whose quotes make parity cuts unsafe.
enum Run {
    Done(Box<FileIkm>),
    Again,
}

fn run(mut input: impl Read, query: &IkmQuery, default_unit: &str, cuts: Cuts) -> Result<Run, FileError> {
    let plan = Plan::new(query)?;
    let mut buf = Vec::new();
    let mut eof = fill(&mut input, &mut buf, BLOCK)?;
    while !eof && !buf.contains(&b'\n') {
        let target = buf.len() * 2;
        eof = fill(&mut input, &mut buf, target)?;
    }
    let bom = if buf.starts_with(b"\xEF\xBB\xBF") { 3 } else { 0 };
    let first_line = buf[bom..].split(|b| *b == b'\n').next().unwrap_or_default();
    let count = |c: u8| first_line.iter().filter(|b| **b == c).count();
    let delimiter = if count(b';') > count(b',') { b';' } else { b',' };
    // The header record, whole (a quoted header may span lines).
    let (header, data_start) = loop {
        let text = &buf[bom..];
        let mut reader = builder(delimiter).from_reader(text);
        let mut record = ByteRecord::new();
        let read = reader
            .read_byte_record(&mut record)
            .map_err(|e| FileError::Unreadable(e.to_string()))?;
        let end = reader.position().byte() as usize;
        if eof || (read && end < text.len()) {
            break (record, end);
        }
        let target = buf.len() * 2;
        eof = fill(&mut input, &mut buf, target)?;
    };
    let headers: Vec<&str> = header
        .iter()
        .enumerate()
        .map(|(field, h)| {
            std::str::from_utf8(h).map_err(|e| FileError::Unreadable(utf8_message(0, 1, 0, field, e.valid_up_to())))
        })
        .collect::<Result<_, _>>()?;
    let layout = Layout::resolve(&headers, &query.rule_set)?;
    let header_lines = buf[bom..bom + data_start].iter().filter(|b| **b == b'\n').count() as u64;
    let k = query.rule_set.elements.len();

    let workers = threads();
    let (tx, rx) = mpsc::sync_channel::<Block>(workers);
    let rx = Mutex::new(rx);
    // Blocks go back to the reading thread once parsed and are filled again: fresh
    // buffers would cost the kernel a page clearing per 4 KB read.
    let (give_back, returned) = mpsc::channel::<Vec<u8>>();
    let again = &AtomicBool::new(false);
    // Moves the sender in, so the workers see the channel close when it returns.
    let produce = move || {
        let mut carry = buf.split_off(bom + data_start);
        let (mut index, mut offset) = (0, data_start as u64);
        let mut target = BLOCK;
        loop {
            if again.load(Ordering::Relaxed) {
                return Ok(());
            }
            if !eof {
                eof = fill(&mut input, &mut carry, target)?;
            }
            if carry.is_empty() {
                return Ok(());
            }
            let cut = if eof {
                Some(carry.len())
            } else if cuts == Cuts::Parity {
                parity_cut_point(&carry)
            } else {
                cut_point(&carry, delimiter)
            };
            let Some(cut) = cut else {
                target = carry.len() * 2;
                continue;
            };
            target = BLOCK;
            let mut rest = returned.try_recv().unwrap_or_default();
            rest.clear();
            rest.reserve(BLOCK);
            rest.extend_from_slice(&carry[cut..]);
            carry.truncate(cut);
            let block = Block {
                index,
                offset,
                bytes: std::mem::replace(&mut carry, rest),
            };
            index += 1;
            offset += cut as u64;
            if tx.send(block).is_err() {
                return Ok(());
            }
        }
    };
    let next = || rx.lock().expect("no poisoned lock").recv().ok();
    let work = |block: Block, sums: &mut Sums| {
        let out = read_block(&block, delimiter, &layout, k, default_unit, sums, cuts);
        if out.is_none() {
            again.store(true, Ordering::Relaxed);
        }
        let _ = give_back.send(block.bytes);
        Ok(out)
    };
    let (sums, outs) = run_workers(&plan, workers, produce, next, work)?;
    let Some(mut outs) = outs.into_iter().collect::<Option<Vec<BlockOut>>>() else {
        return Ok(Run::Again);
    };
    outs.sort_by_key(|o| o.index);
    let rejected = finish_lines(&outs, header_lines);
    plan.finish(sums, rejected).map(|ikm| Run::Done(Box::new(ikm)))
}

/// After the last line break of `block` with an even number of quotes before it; `None`
/// when there is none.
fn parity_cut_point(block: &[u8]) -> Option<usize> {
    let mut quotes_before = memchr::memchr_iter(b'"', block).count();
    let mut end = block.len();
    for at in memchr::memrchr_iter(b'\n', block) {
        quotes_before -= memchr::memchr_iter(b'"', &block[at..end]).count();
        end = at;
        if quotes_before.is_multiple_of(2) {
            return Some(at + 1);
        }
    }
    None
}

/// The CSV reader's words for a record that is not UTF-8.
fn utf8_message(record: u64, line: u64, byte: u64, field: usize, valid_up_to: usize) -> String {
    format!(
        "CSV parse error: record {record} (line {line}, field: {field}, byte: {byte}): \
         invalid utf-8: invalid UTF-8 in field {field} near byte index {valid_up_to}"
    )
}

/// Line numbers over the whole file once every block's record count is known.
fn finish_lines(outs: &[BlockOut], header_lines: u64) -> Vec<Rejected> {
    let (mut records_before, mut lines_before) = (0u64, header_lines);
    let mut rejected = Vec::new();
    for out in outs {
        for (i, problem) in &out.rejected {
            let line = records_before + i + 2;
            let problem = match problem {
                Problem::Row(p) => p.clone(),
                Problem::Utf8(record, l, byte, field, valid) => RowProblem::Unreadable(utf8_message(
                    records_before + record + 1,
                    lines_before + l,
                    out.offset + byte,
                    *field,
                    *valid,
                )),
            };
            rejected.push(Rejected { line, problem });
        }
        records_before += out.records;
        lines_before += out.newlines;
    }
    rejected
}

/// Column passes over the records of one chunk, reused from chunk to chunk.
#[derive(Default)]
struct Scratch {
    readable: Vec<bool>,
    days: Vec<Option<i32>>,
    scores: Vec<u8>,
    bad: Vec<Option<usize>>,
    keep: Vec<bool>,
    ages: Vec<Option<u32>>,
    dates: DateCache,
}

/// A cell trimmed as `str::trim` does, without looking at characters when the first
/// and last bytes are visible ASCII (the usual case).
#[inline]
fn trimmed(text: &str) -> &str {
    let visible = |b: Option<&u8>| b.is_none_or(|b| (b'!'..=b'~').contains(b));
    let bytes = text.as_bytes();
    if visible(bytes.first()) && visible(bytes.last()) {
        text
    } else {
        text.trim()
    }
}

/// The cells of the records of one chunk, however the records were split.
trait Chunk {
    /// Records in the chunk.
    fn len(&self) -> usize;
    /// Cell `col` of record `r`, trimmed; empty when the record is shorter. Only
    /// asked of readable records.
    fn cell(&self, r: usize, col: usize) -> &str;
}

/// Records the csv crate read (a block with quotes or bytes that are not UTF-8).
struct CsvChunk<'a>(&'a [ByteRecord]);

impl Chunk for CsvChunk<'_> {
    fn len(&self) -> usize {
        self.0.len()
    }

    fn cell(&self, r: usize, col: usize) -> &str {
        // SAFETY: only asked of records checked to be UTF-8 field by field.
        self.0[r]
            .get(col)
            .map(|c| trimmed(unsafe { std::str::from_utf8_unchecked(c) }))
            .unwrap_or_default()
    }
}

/// Records of a UTF-8 block split by [`split_simple`], `CHUNK` at a time: what the csv
/// crate gives for such text, without copying a byte.
struct PlainChunk<'a> {
    text: &'a str,
    /// Where each record's fields start in `spans`, and one past the last record.
    first: &'a [u32],
    /// (start, end) of every field of the block in `text`.
    spans: &'a [(u32, u32)],
}

impl Chunk for PlainChunk<'_> {
    fn len(&self) -> usize {
        self.first.len().saturating_sub(1)
    }

    #[inline]
    fn cell(&self, r: usize, col: usize) -> &str {
        let field = self.first[r] as usize + col;
        if field >= self.first[r + 1] as usize {
            return "";
        }
        let (start, end) = self.spans[field];
        trimmed(&self.text[start as usize..end as usize])
    }
}

/// Why [`split_simple`] left a block to the csv crate.
#[derive(Debug, PartialEq, Eq)]
enum NotSimple {
    /// A doubled quote inside a quoted field: RFC 4180, but the cell is not a slice
    /// of the text (and the quotes after it were not checked).
    Escaped,
    /// A quote inside an unquoted cell, text after a closing quote, or a quote never
    /// closed: not RFC 4180, so line breaks with an even number of quotes before them
    /// may not end records.
    Stray,
}

/// Splits a block into records the way the csv crate reads it, when every quote opens
/// or closes a quoted field with no doubled quote inside: `\n` and `\r` both end a
/// record (outside quotes), an empty line is no record, every separator outside quotes
/// ends a field, a quoted field's cell is what lies between its quotes. Fills `first`
/// (where each record's fields start in `spans`, plus one past the last) and `spans`.
fn split_simple(
    bytes: &[u8],
    delimiter: u8,
    first: &mut Vec<u32>,
    spans: &mut Vec<(u32, u32)>,
) -> Result<(), NotSimple> {
    first.clear();
    spans.clear();
    first.push(0);
    let (mut record_start, mut field_start) = (0usize, 0usize);
    // The closing quote of the field being read, when it is quoted.
    let mut closing: Option<usize> = None;
    let mut quotes_seen = 0usize;
    // Ends the field that starts at `field_start` just before `at`.
    let mut field = |field_start: usize, at: usize, closing: &mut Option<usize>, spans: &mut Vec<(u32, u32)>| {
        if bytes.get(field_start) != Some(&b'"') {
            spans.push((field_start as u32, at as u32));
            return Ok(true);
        }
        let close = match *closing {
            Some(close) => close,
            None => {
                let close = memchr::memchr(b'"', &bytes[field_start + 1..])
                    .map(|p| p + field_start + 1)
                    .ok_or(NotSimple::Stray)?;
                *closing = Some(close);
                close
            }
        };
        match (close + 1).cmp(&at) {
            // The separator or line break at `at` is inside the quotes.
            std::cmp::Ordering::Greater => Ok(false),
            std::cmp::Ordering::Equal => {
                spans.push((field_start as u32 + 1, close as u32));
                *closing = None;
                quotes_seen += 2;
                Ok(true)
            }
            std::cmp::Ordering::Less if bytes[close + 1] == b'"' => Err(NotSimple::Escaped),
            std::cmp::Ordering::Less => Err(NotSimple::Stray),
        }
    };
    for at in memchr::memchr3_iter(delimiter, b'\n', b'\r', bytes) {
        if bytes[at] == delimiter {
            if field(field_start, at, &mut closing, spans)? {
                field_start = at + 1;
            }
            continue;
        }
        if at > record_start {
            if !field(field_start, at, &mut closing, spans)? {
                continue;
            }
            first.push(spans.len() as u32);
        }
        record_start = at + 1;
        field_start = at + 1;
    }
    if bytes.len() > record_start {
        if !field(field_start, bytes.len(), &mut closing, spans)? {
            return Err(NotSimple::Stray);
        }
        first.push(spans.len() as u32);
    }
    if quotes_seen != memchr::memchr_iter(b'"', bytes).count() {
        return Err(NotSimple::Stray);
    }
    Ok(())
}

/// A worker thread's buffers, kept from block to block.
#[derive(Default)]
struct Buffers {
    scratch: Scratch,
    first: Vec<u32>,
    spans: Vec<(u32, u32)>,
    records: Vec<ByteRecord>,
}

thread_local! {
    static BUFFERS: RefCell<Buffers> = RefCell::new(Buffers::default());
}

/// Parses one block and adds its rows to `sums`. `None` when the block was cut by quote
/// parity ([`Cuts::Parity`]) and its quotes do not make that safe: nothing was added,
/// and the file must be read again with exact cuts.
fn read_block(
    block: &Block,
    delimiter: u8,
    layout: &Layout,
    k: usize,
    default_unit: &str,
    sums: &mut Sums,
    cuts: Cuts,
) -> Option<BlockOut> {
    BUFFERS.with_borrow_mut(|b| read_block_with(b, block, delimiter, layout, k, default_unit, sums, cuts))
}

#[allow(clippy::too_many_arguments)]
fn read_block_with(
    buffers: &mut Buffers,
    block: &Block,
    delimiter: u8,
    layout: &Layout,
    k: usize,
    default_unit: &str,
    sums: &mut Sums,
    cuts: Cuts,
) -> Option<BlockOut> {
    let Buffers {
        scratch: s,
        first,
        spans,
        records,
    } = buffers;
    let mut out = BlockOut {
        index: block.index,
        offset: block.offset,
        records: 0,
        newlines: memchr::memchr_iter(b'\n', &block.bytes).count() as u64,
        rejected: Vec::new(),
    };
    let text = (block.bytes.len() < u32::MAX as usize)
        .then(|| std::str::from_utf8(&block.bytes).ok())
        .flatten();
    let split = text.map(|_| split_simple(&block.bytes, delimiter, first, spans));
    match (text, split) {
        (Some(text), Some(Ok(()))) => {
            for records in first.windows(CHUNK + 1).step_by(CHUNK).chain(last_window(first)) {
                let chunk = PlainChunk {
                    text,
                    first: records,
                    spans,
                };
                s.readable.clear();
                s.readable.resize(chunk.len(), true);
                read_chunk(s, &chunk, layout, k, default_unit, sums, &mut out, |_| unreachable!());
            }
            return Some(out);
        }
        // Parity cuts are safe only when every quote of the block was seen to open or
        // close a quoted field; the split stops at the first doubled quote, so it never
        // saw the quotes after it. Not UTF-8 or a stray quote: the same.
        _ if cuts == Cuts::Parity => return None,
        // Exact cuts: the csv crate reads whatever the block holds.
        _ => {}
    }
    let mut reader = builder(delimiter).from_reader(&block.bytes[..]);
    loop {
        let mut n = 0;
        while n < CHUNK {
            if records.len() == n {
                records.push(ByteRecord::new());
            }
            match reader.read_byte_record(&mut records[n]) {
                Ok(true) => n += 1,
                _ => break,
            }
        }
        if n == 0 {
            return Some(out);
        }
        let chunk = &records[..n];
        s.readable.clear();
        s.readable.extend(
            chunk
                .iter()
                .map(|r| r.as_slice().is_ascii() || r.iter().all(|f| std::str::from_utf8(f).is_ok())),
        );
        read_chunk(s, &CsvChunk(chunk), layout, k, default_unit, sums, &mut out, |r| {
            let record = &chunk[r];
            let pos = record.position().cloned().unwrap_or_else(csv::Position::new);
            let (field, valid) = record
                .iter()
                .enumerate()
                .find_map(|(i, f)| std::str::from_utf8(f).err().map(|e| (i, e.valid_up_to())))
                .unwrap_or_default();
            Problem::Utf8(pos.record(), pos.line(), pos.byte(), field, valid)
        });
    }
}

/// The records after the last whole `CHUNK` of `first`, as one window (none when the
/// chunks came out even).
fn last_window(first: &[u32]) -> Option<&[u32]> {
    let records = first.len().saturating_sub(1);
    let done = records / CHUNK * CHUNK;
    (records > done).then(|| &first[done..])
}

/// Checks one chunk's records (`s.readable` already says which are UTF-8), notes
/// the rejected ones and adds the others to `sums`. `unreadable` describes a record
/// that is not UTF-8.
#[allow(clippy::too_many_arguments)]
fn read_chunk<C: Chunk>(
    s: &mut Scratch,
    chunk: &C,
    layout: &Layout,
    k: usize,
    default_unit: &str,
    sums: &mut Sums,
    out: &mut BlockOut,
    unreadable: impl Fn(usize) -> Problem,
) {
    let n = chunk.len();
    check_chunk(s, chunk, layout, k);
    s.keep.clear();
    for r in 0..n {
        let index = out.records + r as u64;
        if !s.readable[r] {
            out.rejected.push((index, unreadable(r)));
            s.keep.push(false);
            continue;
        }
        let problem = match (s.days[r], s.bad[r]) {
            (None, _) => Some(RowProblem::BadDate(chunk.cell(r, layout.date).to_owned())),
            (_, Some(slot)) => {
                let (element, col) = layout.elements[slot];
                Some(RowProblem::BadScore {
                    element,
                    value: chunk.cell(r, col).to_owned(),
                })
            }
            _ if s.scores[r * k..(r + 1) * k].iter().all(|v| *v == 0) => Some(RowProblem::NoScores),
            _ => None,
        };
        s.keep.push(problem.is_none());
        if let Some(p) = problem {
            out.rejected.push((index, Problem::Row(p)));
        }
    }
    // Labels coded per chunk: each distinct text is looked up once by the sums.
    let readable = &s.readable;
    let empty = [Some(default_unit), Some(""), None, None, None];
    let cols = [
        layout.unit,
        layout.service,
        layout.profile[0],
        layout.profile[1],
        layout.profile[2],
    ];
    let coders: [Option<Coder<'_, &str>>; TEXT_SLOTS] = std::array::from_fn(|j| {
        cols[j].map(|c| {
            let mut coder = Coder::default();
            for (r, ok) in readable.iter().enumerate().take(n) {
                let text = if *ok { chunk.cell(r, c) } else { "" };
                coder.push(text, || batch::label(text).or(empty[j]));
            }
            coder
        })
    });
    let texts: [Labels<'_>; TEXT_SLOTS] = std::array::from_fn(|j| match &coders[j] {
        Some(c) => c.labels(),
        None => Labels::Same(empty[j]),
    });
    s.ages.clear();
    if let Some(c) = layout.umur {
        s.ages.extend(
            readable
                .iter()
                .take(n)
                .enumerate()
                .map(|(r, ok)| if *ok { cells::umur(chunk.cell(r, c)) } else { None }),
        );
    }
    let days: Vec<i32> = s.days.iter().map(|d| d.unwrap_or(0)).collect();
    sums.push_rows(&Rows {
        len: n,
        keep: &s.keep,
        days: &days,
        scores: &s.scores[..n * k],
        texts,
        umur: layout.umur.map(|_| &s.ages[..]),
    });
    out.records += n as u64;
}

/// Checks a chunk's records column by column: date, every score.
fn check_chunk<C: Chunk>(s: &mut Scratch, chunk: &C, layout: &Layout, k: usize) {
    let n = chunk.len();
    s.days.clear();
    let dates = &mut s.dates;
    s.days.extend(s.readable.iter().take(n).enumerate().map(|(r, ok)| {
        if *ok {
            dates.day(chunk.cell(r, layout.date))
        } else {
            None
        }
    }));
    s.scores.clear();
    s.scores.resize(n * k, 0);
    s.bad.clear();
    s.bad.resize(n, None);
    for (slot, (element, col)) in layout.elements.iter().enumerate() {
        for r in 0..n {
            if !s.readable[r] {
                continue;
            }
            match cells::score(chunk.cell(r, *col)) {
                Ok(0) => {}
                Ok(v) => s.scores[r * k + element] = v,
                Err(()) => s.bad[r] = Some(slot),
            }
        }
    }
}

#[cfg(test)]
mod plain_tests {
    use super::*;
    use proptest::prelude::*;

    /// Every record's cells as the csv crate reads them, and as `split_simple` does
    /// (or why it left the text to the csv crate).
    #[allow(clippy::type_complexity)]
    fn both(text: &str, delimiter: u8) -> (Vec<Vec<String>>, Result<Vec<Vec<String>>, NotSimple>) {
        let mut reader = builder(delimiter).from_reader(text.as_bytes());
        let mut want = Vec::new();
        for record in reader.byte_records() {
            let record = record.expect("UTF-8 text always reads");
            let chunk = CsvChunk(std::slice::from_ref(&record));
            want.push((0..record.len() + 2).map(|c| chunk.cell(0, c).to_owned()).collect());
        }
        let (mut first, mut spans) = (Vec::new(), Vec::new());
        let got = split_simple(text.as_bytes(), delimiter, &mut first, &mut spans).map(|()| {
            let chunk = PlainChunk {
                text,
                first: &first,
                spans: &spans,
            };
            (0..chunk.len())
                .map(|r| {
                    let fields = (first[r + 1] - first[r]) as usize;
                    (0..fields + 2).map(|c| chunk.cell(r, c).to_owned()).collect()
                })
                .collect()
        });
        (want, got)
    }

    #[test]
    fn blank_lines_crlf_lone_cr_quotes_and_no_final_newline_read_as_the_csv_crate_reads_them() {
        for text in [
            "a,b\n\n c ,d\r\n\r\ne\rf,,\n",
            "\n\n1,2",
            ",\n,,\n \n\u{a0}x\u{a0},y",
            "",
            "\r\n",
            "\"unit-13\",\"a,b\",3\n\"x\ny\",\"\"\r\n\"\",\"z\"",
            "\"\n\"\n\"a\"",
        ] {
            let (want, got) = both(text, b',');
            assert_eq!(got, Ok(want), "{text:?}");
        }
        for (text, why) in [
            ("\"a\"\"b\",1\n", NotSimple::Escaped),
            ("ab\"c,1\n", NotSimple::Stray),
            (" \"a\",1\n", NotSimple::Stray),
            ("\"a\"b,1\n", NotSimple::Stray),
            ("\"a,1\n", NotSimple::Stray),
        ] {
            assert_eq!(both(text, b',').1, Err(why), "{text:?}");
        }
    }

    #[test]
    fn parity_cuts_fall_after_a_record() {
        assert_eq!(parity_cut_point(b"a,\"x\ny\"\nb"), Some(8));
        assert_eq!(parity_cut_point(b"a,\"x\ny\""), None);
        assert_eq!(parity_cut_point(b"\"x\ny\""), None);
        assert_eq!(parity_cut_point(b"a\nb\n\"c"), Some(4));
    }

    #[test]
    fn a_quote_outside_a_quoted_field_reads_the_file_again_with_exact_cuts() {
        let query = IkmQuery {
            group_by: vec![crate::ikm::Dimension::Unit],
            ..IkmQuery::default()
        };
        let mut text = String::from("tanggal,unit,u1,u2\n");
        for i in 0..200 {
            let unit = match i % 7 {
                0 => "\"unit a\"".to_owned(),
                // A line break inside quotes: only parity tells it from a record end.
                1 => "\"unit\nb\"".to_owned(),
                _ => format!("unit {}", i % 3),
            };
            text += &format!("2026-01-{:02},{unit},{},{}\n", i % 28 + 1, i % 4 + 1, (i + 1) % 4 + 1);
        }
        let exact = ikm_csv(text.as_bytes(), &query, "-").unwrap();
        let parity = ikm_csv_file(std::io::Cursor::new(text.as_bytes()), &query, "-").unwrap();
        assert!(matches!(
            run(text.as_bytes(), &query, "-", Cuts::Parity),
            Ok(Run::Done(_))
        ));
        assert_eq!(parity.accepted, 200);
        assert_eq!((parity.accepted, &parity.rejected), (exact.accepted, &exact.rejected));
        assert_eq!(format!("{:?}", parity.report), format!("{:?}", exact.report));

        // `unit "c` keeps its quote as a letter: parity cuts could split a record.
        let stray = text.replacen("unit 2", "unit \"c", 3);
        assert!(matches!(
            run(stray.as_bytes(), &query, "-", Cuts::Parity),
            Ok(Run::Again)
        ));
        let exact = ikm_csv(stray.as_bytes(), &query, "-").unwrap();
        let again = ikm_csv_file(std::io::Cursor::new(stray.as_bytes()), &query, "-").unwrap();
        assert_eq!(again.accepted, 200);
        assert_eq!(format!("{:?}", again.report), format!("{:?}", exact.report));
        assert!(format!("{:?}", again.report).contains("unit \\\"c"));
    }

    /// Pieces of CSV text, quotes included, so the split meets every quoting shape.
    fn csv_text() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                Just("a"),
                Just("12"),
                Just(" "),
                Just(","),
                Just(";"),
                Just("\n"),
                Just("\r"),
                Just("\u{a0}"),
                Just("\t"),
                Just("\""),
                Just("\"q\""),
                Just("\"x,y\""),
                Just("\"l\nm\""),
            ],
            0..80,
        )
        .prop_map(|parts| parts.concat())
    }

    proptest! {
        #[test]
        fn split_simple_agrees_with_the_csv_crate(text in csv_text(), semicolon in any::<bool>()) {
            let delimiter = if semicolon { b';' } else { b',' };
            let (want, got) = both(&text, delimiter);
            if let Ok(got) = got {
                prop_assert_eq!(got, want);
            }
        }

        /// Files whose unit cells take every quoting shape (doubled quotes, stray
        /// quotes, line breaks inside quotes, in any order and at any block cut) give
        /// the same result by parity cuts as by exact cuts.
        #[test]
        fn parity_cuts_never_change_the_result(
            units in proptest::collection::vec(
                prop_oneof![
                    Just("a"),
                    Just("\"a\""),
                    Just("\"a\"\"b\""),
                    Just("a\"b"),
                    Just("\"x\ny\""),
                    Just("\"p,q\""),
                    Just("\"z\"w"),
                ],
                1..120,
            ),
        ) {
            let query = IkmQuery {
                group_by: vec![crate::ikm::Dimension::Unit],
                ..IkmQuery::default()
            };
            let mut text = String::from("tanggal,unit,u1\n");
            for (i, unit) in units.iter().enumerate() {
                text += &format!("2026-01-{:02},{unit},{}\n", i % 28 + 1, i % 4 + 1);
            }
            let exact = ikm_csv(text.as_bytes(), &query, "-").unwrap();
            let parity = ikm_csv_file(std::io::Cursor::new(text.as_bytes()), &query, "-").unwrap();
            prop_assert_eq!(parity.accepted, exact.accepted);
            prop_assert_eq!(&parity.rejected, &exact.rejected);
            prop_assert_eq!(format!("{:?}", parity.report), format!("{:?}", exact.report));
        }

        #[test]
        fn text_without_quotes_is_always_simple(text in csv_text(), semicolon in any::<bool>()) {
            let text = text.replace('"', "");
            let delimiter = if semicolon { b';' } else { b',' };
            let (want, got) = both(&text, delimiter);
            prop_assert_eq!(got, Ok(want));
        }
    }
}
