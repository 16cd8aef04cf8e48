//! Parquet survey files one row group at a time: only the columns the layout names
//! are read and decoded (polars' own Parquet decoder, straight into arrow arrays, no
//! DataFrame), each worker thread taking the next row group. Scores and ages may be
//! any integer width, integral floats or text; dates may be Parquet dates or text.
//! Memory is one row group's needed columns per thread.

use std::io::{self, Cursor, Read, Seek, SeekFrom};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};

use polars_arrow::array::{Array, DictionaryArray, PrimitiveArray, Utf8ViewArray};
use polars_arrow::datatypes::{ArrowDataType, DTYPE_CATEGORICAL_NEW, Field, IntegerType, Metadata};
use polars_arrow::types::NativeType;
use polars_buffer::Buffer;
use polars_compute::cast::{CastOptionsImpl, cast};
use polars_parquet::read::{
    BasicDecompressor, FileMetadata, Filter, PageReader, PhysicalType, column_iter_to_arrays, infer_schema,
    read_metadata,
};

use super::batch::{self, Coder, Labels, Rows};
use super::cells::{self, DateCache};
use super::{FileError, FileIkm, Layout, Plan, Rejected, RowProblem, Sums, TEXT_SLOTS, run_workers, threads};
use crate::calendar::from_epoch_days;
use crate::ikm::IkmQuery;

/// Rows checked together inside a row group.
const SLICE: usize = 262_144;

/// Random access to the bytes of a file: an open file, or bytes in memory.
pub trait ReadAt: Sync {
    /// Size in bytes.
    fn size(&self) -> io::Result<u64>;
    /// Fills `buf` from `offset`; an error when the file is shorter.
    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()>;
}

impl ReadAt for [u8] {
    fn size(&self) -> io::Result<u64> {
        Ok(self.len() as u64)
    }

    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        let start = usize::try_from(offset).unwrap_or(usize::MAX);
        let part = start
            .checked_add(buf.len())
            .and_then(|end| self.get(start..end))
            .ok_or_else(|| io::Error::from(io::ErrorKind::UnexpectedEof))?;
        buf.copy_from_slice(part);
        Ok(())
    }
}

impl ReadAt for std::fs::File {
    fn size(&self) -> io::Result<u64> {
        Ok(self.metadata()?.len())
    }

    #[cfg(unix)]
    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        std::os::unix::fs::FileExt::read_exact_at(self, buf, offset)
    }

    #[cfg(windows)]
    fn read_exact_at(&self, mut offset: u64, mut buf: &mut [u8]) -> io::Result<()> {
        while !buf.is_empty() {
            match std::os::windows::fs::FileExt::seek_read(self, buf, offset)? {
                0 => return Err(io::ErrorKind::UnexpectedEof.into()),
                n => {
                    buf = &mut buf[n..];
                    offset += n as u64;
                }
            }
        }
        Ok(())
    }
}

/// A [`ReadAt`] as a reader, for the footer.
struct At<'a, R: ?Sized> {
    src: &'a R,
    pos: u64,
    len: u64,
}

impl<R: ReadAt + ?Sized> Read for At<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = (self.len.saturating_sub(self.pos)).min(buf.len() as u64) as usize;
        self.src.read_exact_at(self.pos, &mut buf[..n])?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl<R: ReadAt + ?Sized> Seek for At<'_, R> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let pos = match to {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = pos.ok_or_else(|| io::Error::from(io::ErrorKind::InvalidInput))?;
        Ok(self.pos)
    }
}

fn unreadable(e: impl std::fmt::Display) -> FileError {
    FileError::Unreadable(format!("Parquet: {e}"))
}

/// Runs `f`, turning a panic of the decoder on a damaged file into an error.
fn guarded<T>(f: impl FnOnce() -> Result<T, FileError>) -> Result<T, FileError> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|_| Err(unreadable("berkas rusak / damaged file")))
}

/// Reads an interchange Parquet file and computes `query` over its rows (see the
/// module docs). `default_unit` names the unit of rows without one.
pub fn ikm_parquet<R: ReadAt + ?Sized>(source: &R, query: &IkmQuery, default_unit: &str) -> Result<FileIkm, FileError> {
    let plan = Plan::new(query)?;
    let (metadata, fields) = open(source)?;
    let headers: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
    let layout = Layout::resolve(&headers, &query.rule_set)?;
    // Work items are row ranges of row groups, so that a file of one large row group
    // still keeps every thread busy; a thread decodes only the pages of its range.
    let workers = threads();
    // Row counts come from the footer: a damaged one must not make the work list huge.
    if metadata.row_groups.iter().any(|g| g.num_rows() > i32::MAX as usize) {
        return Err(unreadable("jumlah baris tidak wajar / implausible row count"));
    }
    let total: usize = metadata.row_groups.iter().map(|g| g.num_rows()).sum();
    let piece = (total / (workers * 4)).max(SLICE);
    let mut pieces = Vec::new();
    let mut start = 0u64;
    for (g, group) in metadata.row_groups.iter().enumerate() {
        let rows = group.num_rows();
        let parts = rows.div_ceil(piece).max(1);
        for p in 0..parts {
            let (from, to) = (rows * p / parts, rows * (p + 1) / parts);
            pieces.push(Piece {
                group: g,
                from,
                to,
                first_line: start + from as u64 + 2,
            });
        }
        start += rows as u64;
    }
    let next_piece = AtomicUsize::new(0);
    let next = || {
        let i = next_piece.fetch_add(1, Ordering::Relaxed);
        (i < pieces.len()).then_some(i)
    };
    let read = Reader {
        metadata: &metadata,
        fields: &fields,
        layout: &layout,
        k: query.rule_set.elements.len(),
        default_unit,
    };
    let work = |i: usize, sums: &mut Sums| {
        let rejected = guarded(|| read.piece(source, &pieces[i], sums))?;
        Ok((i, rejected))
    };
    let (sums, mut outs) = run_workers(&plan, workers.min(pieces.len().max(1)), || Ok(()), next, work)?;
    outs.sort_by_key(|(i, _)| *i);
    plan.finish(sums, outs.into_iter().flat_map(|(_, r)| r).collect())
}

/// The footer of a Parquet file: its row groups and columns.
fn open<R: ReadAt + ?Sized>(source: &R) -> Result<(FileMetadata, Vec<Field>), FileError> {
    let len = source.size().map_err(unreadable)?;
    guarded(|| {
        let metadata = read_metadata(&mut At {
            src: source,
            pos: 0,
            len,
        })
        .map_err(unreadable)?;
        let schema = infer_schema(&metadata).map_err(unreadable)?;
        let fields: Vec<Field> = schema.iter().map(|(_, f)| f.clone()).collect();
        Ok((metadata, fields))
    })
}

/// One decoded column of a slice of a Parquet file.
pub struct ParquetColumn<'a>(Cells<'a>);

impl<'a> ParquetColumn<'a> {
    /// The cell of row `i` of the slice.
    #[inline]
    pub fn get(&self, i: usize) -> Cell<'a> {
        self.0.get(i)
    }
}

/// Reads chosen columns of a Parquet file a slice of rows at a time, on the calling
/// thread, with the decoders of the IKM path (any integer width, integral floats,
/// dates, text): for readers that keep each row, such as the survey import.
/// `select` gets the column names and answers the columns to decode (`None` stops
/// before any row is read); `each` gets the line of the slice's first row (header =
/// line 1), its number of rows and the selected columns, and answers whether to go on.
pub fn parquet_slices<R: ReadAt + ?Sized>(
    source: &R,
    select: impl FnOnce(&[&str]) -> Option<Vec<usize>>,
    mut each: impl FnMut(u64, usize, &[ParquetColumn<'_>]) -> bool,
) -> Result<(), FileError> {
    let (metadata, fields) = open(source)?;
    let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
    let Some(columns) = select(&names) else {
        return Ok(());
    };
    if let Some(c) = columns.iter().find(|c| **c >= fields.len()) {
        return Err(unreadable(format!("no column {c}")));
    }
    let mut line = 2u64;
    for (g, group) in metadata.row_groups.iter().enumerate() {
        let rows = group.num_rows();
        for from in (0..rows).step_by(SLICE) {
            let to = (from + SLICE).min(rows);
            let go_on = guarded(|| {
                let arrays = columns
                    .iter()
                    .map(|c| decode(&metadata, &fields, source, g, *c, from..to, false))
                    .collect::<Result<Vec<_>, _>>()?;
                let cells: Vec<ParquetColumn<'_>> =
                    arrays.iter().map(|a| ParquetColumn(Cells::of(a.as_ref()))).collect();
                Ok(each(line + from as u64, to - from, &cells))
            })?;
            if !go_on {
                return Ok(());
            }
        }
        line += rows as u64;
    }
    Ok(())
}

/// Rows `from..to` of one row group; its first row is on `first_line`.
struct Piece {
    group: usize,
    from: usize,
    to: usize,
    first_line: u64,
}

/// One cell of a typed Parquet column.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Cell<'a> {
    /// Null.
    Null,
    /// Any integer width.
    Int(i128),
    /// A float.
    Float(f64),
    /// A date, as epoch day.
    Day(i32),
    /// Text (not trimmed).
    Text(&'a str),
}

impl Cell<'_> {
    /// 0 when unanswered, 1–4, or `Err` (as the text of the cell would be read).
    fn score(self) -> Result<u8, ()> {
        match self {
            Cell::Null => Ok(0),
            Cell::Int(v @ 1..=4) => Ok(v as u8),
            Cell::Float(f) if f.fract() == 0.0 && (1.0..=4.0).contains(&f) => Ok(f as u8),
            Cell::Text(t) => cells::score(t),
            _ => Err(()),
        }
    }

    fn umur(self) -> Option<u32> {
        match self {
            Cell::Int(v) => u32::try_from(v).ok(),
            Cell::Float(f) if f.fract() == 0.0 && (0.0..=u32::MAX as f64).contains(&f) => Some(f as u32),
            Cell::Text(t) => cells::umur(t),
            _ => None,
        }
    }

    fn day(self, cache: &mut DateCache) -> Option<i32> {
        match self {
            Cell::Day(d) => Some(d),
            Cell::Text(t) => cache.day(t.trim()),
            _ => None,
        }
    }

    /// The cell as a spreadsheet shows it (a whole float without ".0", a date as
    /// ISO text).
    pub fn text(self) -> String {
        match self {
            Cell::Null => String::new(),
            Cell::Int(v) => v.to_string(),
            Cell::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
            Cell::Float(f) => f.to_string(),
            Cell::Day(d) => from_epoch_days(d).to_string(),
            Cell::Text(t) => t.trim().to_owned(),
        }
    }
}

/// A decoded column, by the types the readers know.
enum Cells<'a> {
    I8(&'a PrimitiveArray<i8>),
    U8(&'a PrimitiveArray<u8>),
    I16(&'a PrimitiveArray<i16>),
    U16(&'a PrimitiveArray<u16>),
    I32(&'a PrimitiveArray<i32>),
    U32(&'a PrimitiveArray<u32>),
    I64(&'a PrimitiveArray<i64>),
    U64(&'a PrimitiveArray<u64>),
    F32(&'a PrimitiveArray<f32>),
    F64(&'a PrimitiveArray<f64>),
    Date32(&'a PrimitiveArray<i32>),
    Date64(&'a PrimitiveArray<i64>),
    Text(&'a Utf8ViewArray),
    /// A dictionary-encoded text column kept as its dictionary and codes.
    Dict(&'a DictionaryArray<u32>),
}

fn known(dtype: &ArrowDataType) -> bool {
    use ArrowDataType as T;
    matches!(
        dtype,
        T::Int8
            | T::UInt8
            | T::Int16
            | T::UInt16
            | T::Int32
            | T::UInt32
            | T::Int64
            | T::UInt64
            | T::Float32
            | T::Float64
            | T::Date32
            | T::Date64
            | T::Utf8View
    ) || matches!(dtype, T::Dictionary(IntegerType::UInt32, values, _) if **values == T::Utf8View)
}

impl<'a> Cells<'a> {
    fn of(array: &'a dyn Array) -> Cells<'a> {
        fn p<T: NativeType>(a: &dyn Array) -> &PrimitiveArray<T> {
            a.as_any().downcast_ref().expect("checked by known()")
        }
        use ArrowDataType as T;
        match array.dtype() {
            T::Int8 => Cells::I8(p(array)),
            T::UInt8 => Cells::U8(p(array)),
            T::Int16 => Cells::I16(p(array)),
            T::UInt16 => Cells::U16(p(array)),
            T::Int32 => Cells::I32(p(array)),
            T::UInt32 => Cells::U32(p(array)),
            T::Int64 => Cells::I64(p(array)),
            T::UInt64 => Cells::U64(p(array)),
            T::Float32 => Cells::F32(p(array)),
            T::Float64 => Cells::F64(p(array)),
            T::Date32 => Cells::Date32(p(array)),
            T::Date64 => Cells::Date64(p(array)),
            T::Dictionary(..) => Cells::Dict(array.as_any().downcast_ref().expect("u32 keys, asked by decode()")),
            _ => Cells::Text(array.as_any().downcast_ref().expect("cast to text by decode()")),
        }
    }

    #[inline]
    fn get(&self, i: usize) -> Cell<'a> {
        fn at<T: NativeType>(a: &PrimitiveArray<T>, i: usize) -> Option<T> {
            a.is_valid(i).then(|| a.value(i))
        }
        let v = match self {
            Cells::I8(a) => at(a, i).map(|v| Cell::Int(v.into())),
            Cells::U8(a) => at(a, i).map(|v| Cell::Int(v.into())),
            Cells::I16(a) => at(a, i).map(|v| Cell::Int(v.into())),
            Cells::U16(a) => at(a, i).map(|v| Cell::Int(v.into())),
            Cells::I32(a) => at(a, i).map(|v| Cell::Int(v.into())),
            Cells::U32(a) => at(a, i).map(|v| Cell::Int(v.into())),
            Cells::I64(a) => at(a, i).map(|v| Cell::Int(v.into())),
            Cells::U64(a) => at(a, i).map(|v| Cell::Int(v.into())),
            Cells::F32(a) => at(a, i).map(|v| Cell::Float(v.into())),
            Cells::F64(a) => at(a, i).map(Cell::Float),
            Cells::Date32(a) => at(a, i).map(Cell::Day),
            Cells::Date64(a) => at(a, i).map(|ms| Cell::Day(ms.div_euclid(86_400_000) as i32)),
            Cells::Text(a) => a.get(i).map(Cell::Text),
            Cells::Dict(a) => at(a.keys(), i).map(|key| Cell::Text(dictionary_text(a, key))),
        };
        v.unwrap_or(Cell::Null)
    }
}

/// Scores of rows `from..to` of a column, one call of `put(row - from, score)` each:
/// 0 when unanswered, 1-4, or `Err` (as the text of the cell would be read). Typed
/// columns are read in tight loops, without a [`Cell`] per cell.
fn scores_of(cells: &Cells<'_>, from: usize, to: usize, mut put: impl FnMut(usize, Result<u8, ()>)) {
    fn typed<T: NativeType>(
        a: &PrimitiveArray<T>,
        from: usize,
        to: usize,
        score: impl Fn(T) -> Result<u8, ()>,
        put: &mut impl FnMut(usize, Result<u8, ()>),
    ) {
        let values = &a.values()[from..to];
        match a.validity().filter(|v| v.unset_bits() > 0) {
            None => values.iter().enumerate().for_each(|(r, v)| put(r, score(*v))),
            Some(valid) => values
                .iter()
                .enumerate()
                .for_each(|(r, v)| put(r, if valid.get_bit(from + r) { score(*v) } else { Ok(0) })),
        }
    }
    macro_rules! int {
        ($a:expr) => {
            typed(
                *$a,
                from,
                to,
                |v| {
                    if (1..=4).contains(&v) {
                        Ok(v as u8)
                    } else {
                        Err(())
                    }
                },
                &mut put,
            )
        };
    }
    let float = |f: f64| Cell::Float(f).score();
    match cells {
        Cells::I8(a) => int!(a),
        Cells::U8(a) => int!(a),
        Cells::I16(a) => int!(a),
        Cells::U16(a) => int!(a),
        Cells::I32(a) => int!(a),
        Cells::U32(a) => int!(a),
        Cells::I64(a) => int!(a),
        Cells::U64(a) => int!(a),
        Cells::F32(a) => typed(*a, from, to, |v| float(v.into()), &mut put),
        Cells::F64(a) => typed(*a, from, to, float, &mut put),
        _ => (from..to).for_each(|i| put(i - from, cells.get(i).score())),
    }
}

/// The text of dictionary entry `key` (text for the readers, whatever the values).
fn dictionary_text(a: &DictionaryArray<u32>, key: u32) -> &str {
    a.values()
        .as_any()
        .downcast_ref::<Utf8ViewArray>()
        .filter(|values| (key as usize) < values.len())
        .and_then(|values| values.get(key as usize))
        .unwrap_or_default()
}

/// The codes of one label column over a slice of rows.
enum SlotCodes<'a> {
    /// The column is absent: every row has this label.
    Same(Option<&'a str>),
    /// A text column: cells with the same view have the same text.
    Views(Coder<'a, Option<u128>>),
    /// Numbers or dates, as a spreadsheet shows them (4.0 is "4").
    Shown(Coder<'a, Option<u128>>, Vec<String>),
    /// A dictionary-encoded text column: the file's own codes, its dictionary as the
    /// labels and one more label for an empty cell.
    Dict {
        codes: Vec<u32>,
        labels: Vec<Option<&'a str>>,
    },
}

impl<'a> SlotCodes<'a> {
    /// Codes rows `from..to` of `cells` (or none when absent); an empty cell is
    /// `empty`.
    fn new(cells: Option<&Cells<'a>>, from: usize, to: usize, empty: Option<&'a str>) -> SlotCodes<'a> {
        let Some(cells) = cells else {
            return SlotCodes::Same(empty);
        };
        if let Cells::Dict(a) = cells {
            let values = a.values().as_any().downcast_ref::<Utf8ViewArray>();
            let count = values.map_or(0, |v| v.len());
            let mut labels: Vec<Option<&'a str>> = (0..count)
                .map(|i| values.and_then(|v| v.get(i)).and_then(batch::label).or(empty))
                .collect();
            labels.push(empty);
            let null = count as u32;
            let keys = a.keys();
            let mut codes = match keys.validity().filter(|v| v.unset_bits() > 0) {
                None => keys.values()[from..to].to_vec(),
                Some(valid) => (from..to)
                    .map(|i| if valid.get_bit(i) { keys.value(i) } else { null })
                    .collect(),
            };
            // The decoder checks every key against the dictionary; this keeps a
            // damaged key from reaching the sums' tables all the same.
            codes.iter_mut().filter(|c| **c > null).for_each(|c| *c = null);
            return SlotCodes::Dict { codes, labels };
        }
        let mut coder = Coder::default();
        if let Cells::Text(a) = cells {
            let views = a.views();
            for i in from..to {
                let key = a.is_valid(i).then(|| views[i].as_u128());
                coder.push(key, || key.and_then(|_| batch::label(a.value(i))).or(empty));
            }
            return SlotCodes::Views(coder);
        }
        let mut shown = Vec::new();
        for i in from..to {
            let value = cells.get(i);
            let key = match value {
                Cell::Null => None,
                Cell::Int(v) => Some(v as u128),
                Cell::Float(f) => Some(u128::from(f.to_bits())),
                Cell::Day(d) => Some(d as u128),
                Cell::Text(_) => unreachable!("text columns are coded by view"),
            };
            // The label is filled in below, once the texts are stored.
            coder.push(key, || {
                shown.push(value.text());
                None
            });
        }
        SlotCodes::Shown(coder, shown)
    }

    /// The labels of the codes.
    fn labels(&self, empty: Option<&'a str>) -> Option<Vec<Option<&str>>> {
        match self {
            SlotCodes::Shown(_, shown) => Some(shown.iter().map(|t| batch::label(t).or(empty)).collect()),
            _ => None,
        }
    }
}

/// Decodes rows `rows` of one column of row group `g` into one array of a
/// [`known`] type (anything else is cast to text, as a spreadsheet would show
/// it). Pages outside the rows are neither decompressed nor decoded.
/// A text column whose pages are all dictionary-encoded comes back as its
/// dictionary and codes when `dictionary` is asked (no text per row); otherwise, or
/// when a page is not dictionary-encoded, as text.
fn decode<R: ReadAt + ?Sized>(
    metadata: &FileMetadata,
    fields: &[Field],
    source: &R,
    g: usize,
    col: usize,
    rows: std::ops::Range<usize>,
    dictionary: bool,
) -> Result<Box<dyn Array>, FileError> {
    let group = &metadata.row_groups[g];
    let field = &fields[col];
    let wanted_rows = rows.len();
    let chunks: Vec<_> = group
        .columns_under_root_iter(&field.name)
        .map(|c| c.collect())
        .unwrap_or_default();
    let mut buffers = Vec::with_capacity(chunks.len());
    let mut types = Vec::with_capacity(chunks.len());
    // A damaged footer may name any byte range: only ranges inside the file are read,
    // so a flipped length is an error, never an allocation of its size.
    let size = source.size().map_err(unreadable)?;
    for meta in &chunks {
        let range = meta.byte_range();
        if range.start > range.end || range.end > size {
            return Err(unreadable("kolom di luar berkas / column outside the file"));
        }
        let len = usize::try_from(range.end - range.start).map_err(unreadable)?;
        let mut bytes = vec![0u8; len];
        source.read_exact_at(range.start, &mut bytes).map_err(unreadable)?;
        buffers.push(Buffer::from(bytes));
        types.push(&meta.descriptor().descriptor.primitive_type);
    }
    let whole = rows.start == 0 && rows.end == group.num_rows();
    let filter = || (!whole).then(|| Filter::new_ranged(rows.start, rows.end));
    let read = |wanted: Field| {
        let decompressors = chunks
            .iter()
            .zip(&buffers)
            .map(|(meta, bytes)| {
                let pages = PageReader::new(Cursor::new(bytes.clone()), meta, vec![], usize::MAX);
                BasicDecompressor::new(pages, vec![])
            })
            .collect();
        column_iter_to_arrays(decompressors, types.clone(), wanted, filter())
    };
    let text_column = types.len() == 1 && types[0].physical_type == PhysicalType::ByteArray;
    let text = || Field::new(field.name.clone(), ArrowDataType::Utf8View, true);
    let (mut arrays, _) = if text_column && dictionary {
        let coded = ArrowDataType::Dictionary(IntegerType::UInt32, Box::new(ArrowDataType::Utf8View), false);
        let categorical: Metadata = [(DTYPE_CATEGORICAL_NEW.into(), "".into())].into_iter().collect();
        match read(Field::new(field.name.clone(), coded, true).with_metadata(categorical)) {
            Ok(arrays) => arrays,
            // A page written plain (a dictionary that grew too large): as text.
            Err(_) => read(text()).map_err(unreadable)?,
        }
    } else {
        read(if text_column { text() } else { field.clone() }).map_err(unreadable)?
    };
    let array = match arrays.len() {
        1 => arrays.pop().expect("one array"),
        _ => {
            let parts: Vec<&dyn Array> = arrays.iter().map(|a| a.as_ref()).collect();
            polars_arrow::compute::concatenate::concatenate(&parts).map_err(unreadable)?
        }
    };
    if array.len() != wanted_rows {
        return Err(unreadable(format!(
            "kolom {} tidak lengkap / column cut short",
            field.name
        )));
    }
    if !known(array.dtype()) {
        return cast(array.as_ref(), &ArrowDataType::Utf8View, CastOptionsImpl::default()).map_err(unreadable);
    }
    Ok(array)
}

/// What every row group's worker needs to know of the file.
struct Reader<'a> {
    metadata: &'a FileMetadata,
    fields: &'a [Field],
    layout: &'a Layout,
    k: usize,
    default_unit: &'a str,
}

impl Reader<'_> {
    fn decode<R: ReadAt + ?Sized>(
        &self,
        source: &R,
        g: usize,
        col: usize,
        rows: std::ops::Range<usize>,
        dictionary: bool,
    ) -> Result<Box<dyn Array>, FileError> {
        decode(self.metadata, self.fields, source, g, col, rows, dictionary)
    }

    /// Checks and adds the rows of one piece; returns the rejected rows.
    fn piece<R: ReadAt + ?Sized>(
        &self,
        source: &R,
        piece: &Piece,
        sums: &mut Sums,
    ) -> Result<Vec<Rejected>, FileError> {
        let layout = self.layout;
        let k = self.k;
        let mut arrays: Vec<Option<Box<dyn Array>>> = (0..self.fields.len()).map(|_| None).collect();
        // Label columns come as their dictionary and codes where the file has them.
        let labels = [
            layout.unit,
            layout.service,
            layout.profile[0],
            layout.profile[1],
            layout.profile[2],
        ];
        for col in layout.columns() {
            let dictionary = labels.contains(&Some(col));
            arrays[col] = Some(self.decode(source, piece.group, col, piece.from..piece.to, dictionary)?);
        }
        let column = |col: usize| Cells::of(arrays[col].as_deref().expect("decoded above"));
        let date = column(layout.date);
        let elements: Vec<(usize, Cells<'_>)> = layout.elements.iter().map(|(e, c)| (*e, column(*c))).collect();
        let slots: [Option<Cells<'_>>; TEXT_SLOTS] = [
            layout.unit,
            layout.service,
            layout.profile[0],
            layout.profile[1],
            layout.profile[2],
        ]
        .map(|c| c.map(column));
        let empty: [Option<&str>; TEXT_SLOTS] = [Some(self.default_unit), Some(""), None, None, None];
        let umur = layout.umur.map(column);

        let rows = piece.to - piece.from;
        let mut rejected = Vec::new();
        let mut dates = DateCache::default();
        let (mut days, mut scores, mut bad, mut keep, mut ages) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for from in (0..rows).step_by(SLICE) {
            let to = (from + SLICE).min(rows);
            let n = to - from;
            // Column by column: the dates, then each element's scores.
            days.clear();
            match &date {
                Cells::Date32(a) => days.extend((from..to).map(|i| a.is_valid(i).then(|| a.value(i)))),
                _ => days.extend((from..to).map(|i| date.get(i).day(&mut dates))),
            }
            scores.clear();
            scores.resize(n * k, 0u8);
            bad.clear();
            bad.resize(n, None);
            for (slot, (e, cells)) in elements.iter().enumerate() {
                scores_of(cells, from, to, |r, v| match v {
                    Ok(v) => scores[r * k + e] = v,
                    Err(()) => bad[r] = Some(slot),
                });
            }
            keep.clear();
            for r in 0..n {
                let i = from + r;
                let problem = match (days[r], bad[r]) {
                    (None, _) => Some(RowProblem::BadDate(date.get(i).text())),
                    (_, Some(slot)) => Some(RowProblem::BadScore {
                        element: elements[slot].0,
                        value: elements[slot].1.get(i).text(),
                    }),
                    _ if scores[r * k..(r + 1) * k].iter().all(|v| *v == 0) => Some(RowProblem::NoScores),
                    _ => None,
                };
                keep.push(problem.is_none());
                if let Some(problem) = problem {
                    rejected.push(Rejected {
                        line: piece.first_line + i as u64,
                        problem,
                    });
                }
            }
            let codes: Vec<SlotCodes<'_>> = (0..TEXT_SLOTS)
                .map(|j| SlotCodes::new(slots[j].as_ref(), from, to, empty[j]))
                .collect();
            let shown: Vec<Option<Vec<Option<&str>>>> = (0..TEXT_SLOTS).map(|j| codes[j].labels(empty[j])).collect();
            let texts: [Labels<'_>; TEXT_SLOTS] = std::array::from_fn(|j| match (&codes[j], &shown[j]) {
                (SlotCodes::Same(l), _) => Labels::Same(*l),
                (SlotCodes::Views(c), _) => c.labels(),
                (SlotCodes::Shown(c, _), Some(labels)) => Labels::Coded {
                    codes: &c.codes,
                    labels,
                },
                (SlotCodes::Shown(..), None) => unreachable!("labels of shown cells"),
                (SlotCodes::Dict { codes, labels }, _) => Labels::Coded { codes, labels },
            });
            ages.clear();
            if let Some(u) = &umur {
                ages.extend((from..to).map(|i| u.get(i).umur()));
            }
            let day_of: Vec<i32> = days.iter().map(|d| d.unwrap_or(0)).collect();
            sums.push_rows(&Rows {
                len: n,
                keep: &keep,
                days: &day_of,
                scores: &scores,
                texts,
                umur: umur.as_ref().map(|_| &ages[..]),
            });
        }
        Ok(rejected)
    }
}
