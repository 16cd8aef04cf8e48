//! Parquet survey files one row group at a time: only the columns the layout names
//! are read and decoded (polars' own Parquet decoder, straight into arrow arrays, no
//! DataFrame), each worker thread taking the next row group. Scores and ages may be
//! any integer width, integral floats or text; dates may be Parquet dates or text.
//! Memory is one row group's needed columns per thread.

use std::io::{self, Cursor, Read, Seek, SeekFrom};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};

use polars_arrow::array::{Array, PrimitiveArray, Utf8ViewArray};
use polars_arrow::datatypes::{ArrowDataType, Field};
use polars_arrow::types::NativeType;
use polars_buffer::Buffer;
use polars_compute::cast::{CastOptionsImpl, cast};
use polars_parquet::read::{
    BasicDecompressor, FileMetadata, PageReader, PhysicalType, column_iter_to_arrays, infer_schema, read_metadata,
};

use super::cells::{self, DateCache};
use super::{FileError, FileIkm, Layout, Plan, Rejected, RowProblem, Sums, TEXT_SLOTS, run_workers, threads};
use crate::calendar::from_epoch_days;
use crate::ikm::IkmQuery;

/// Rows checked together inside a row group.
const SLICE: usize = 65_536;

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
    let len = source.size().map_err(unreadable)?;
    let (metadata, fields) = guarded(|| {
        let metadata = read_metadata(&mut At {
            src: source,
            pos: 0,
            len,
        })
        .map_err(unreadable)?;
        let schema = infer_schema(&metadata).map_err(unreadable)?;
        let fields: Vec<Field> = schema.iter().map(|(_, f)| f.clone()).collect();
        Ok((metadata, fields))
    })?;
    let headers: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
    let layout = Layout::resolve(&headers, &query.rule_set)?;
    let starts: Vec<u64> = metadata
        .row_groups
        .iter()
        .scan(0u64, |at, g| {
            let start = *at;
            *at += g.num_rows() as u64;
            Some(start)
        })
        .collect();
    let next_group = AtomicUsize::new(0);
    let groups = metadata.row_groups.len();
    let next = || {
        let g = next_group.fetch_add(1, Ordering::Relaxed);
        (g < groups).then_some(g)
    };
    let read = Reader {
        metadata: &metadata,
        fields: &fields,
        layout: &layout,
        k: query.rule_set.elements.len(),
        default_unit,
    };
    let work = |g: usize, sums: &mut Sums| {
        let rejected = guarded(|| read.group(source, g, starts[g], sums))?;
        Ok((g, rejected))
    };
    let (sums, mut outs) = run_workers(&plan, threads().min(groups.max(1)), || Ok(()), next, work)?;
    outs.sort_by_key(|(g, _)| *g);
    plan.finish(sums, outs.into_iter().flat_map(|(_, r)| r).collect())
}

/// One cell of a typed column.
#[derive(Clone, Copy)]
enum Value<'a> {
    Null,
    Int(i128),
    Float(f64),
    Day(i32),
    Text(&'a str),
}

impl Value<'_> {
    /// 0 when unanswered, 1–4, or `Err` (as the text of the cell would be read).
    fn score(self) -> Result<u8, ()> {
        match self {
            Value::Null => Ok(0),
            Value::Int(v @ 1..=4) => Ok(v as u8),
            Value::Float(f) if f.fract() == 0.0 && (1.0..=4.0).contains(&f) => Ok(f as u8),
            Value::Text(t) => cells::score(t),
            _ => Err(()),
        }
    }

    fn umur(self) -> Option<u32> {
        match self {
            Value::Int(v) => u32::try_from(v).ok(),
            Value::Float(f) if f.fract() == 0.0 && (0.0..=u32::MAX as f64).contains(&f) => Some(f as u32),
            Value::Text(t) => cells::umur(t),
            _ => None,
        }
    }

    fn day(self, cache: &mut DateCache) -> Option<i32> {
        match self {
            Value::Day(d) => Some(d),
            Value::Text(t) => cache.day(t.trim()),
            _ => None,
        }
    }

    /// The cell as a spreadsheet shows it, for a rejection.
    fn text(self) -> String {
        match self {
            Value::Null => String::new(),
            Value::Int(v) => v.to_string(),
            Value::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
            Value::Float(f) => f.to_string(),
            Value::Day(d) => from_epoch_days(d).to_string(),
            Value::Text(t) => t.trim().to_owned(),
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
    )
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
            _ => Cells::Text(array.as_any().downcast_ref().expect("cast to text by decode()")),
        }
    }

    #[inline]
    fn get(&self, i: usize) -> Value<'a> {
        fn at<T: NativeType>(a: &PrimitiveArray<T>, i: usize) -> Option<T> {
            a.is_valid(i).then(|| a.value(i))
        }
        let v = match self {
            Cells::I8(a) => at(a, i).map(|v| Value::Int(v.into())),
            Cells::U8(a) => at(a, i).map(|v| Value::Int(v.into())),
            Cells::I16(a) => at(a, i).map(|v| Value::Int(v.into())),
            Cells::U16(a) => at(a, i).map(|v| Value::Int(v.into())),
            Cells::I32(a) => at(a, i).map(|v| Value::Int(v.into())),
            Cells::U32(a) => at(a, i).map(|v| Value::Int(v.into())),
            Cells::I64(a) => at(a, i).map(|v| Value::Int(v.into())),
            Cells::U64(a) => at(a, i).map(|v| Value::Int(v.into())),
            Cells::F32(a) => at(a, i).map(|v| Value::Float(v.into())),
            Cells::F64(a) => at(a, i).map(Value::Float),
            Cells::Date32(a) => at(a, i).map(Value::Day),
            Cells::Date64(a) => at(a, i).map(|ms| Value::Day(ms.div_euclid(86_400_000) as i32)),
            Cells::Text(a) => a.get(i).map(Value::Text),
        };
        v.unwrap_or(Value::Null)
    }

    /// A text cell for a label: trimmed, `None` when empty.
    #[inline]
    fn label(&self, i: usize) -> Option<&'a str> {
        match self.get(i) {
            Value::Text(t) => Some(t.trim()).filter(|t| !t.is_empty()),
            _ => None,
        }
    }
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
    /// Decodes one column of row group `g` into one array of a [`known`] type
    /// (anything else is cast to text, as a spreadsheet would show it).
    fn decode<R: ReadAt + ?Sized>(
        &self,
        source: &R,
        g: usize,
        col: usize,
        labels: bool,
    ) -> Result<Box<dyn Array>, FileError> {
        let group = &self.metadata.row_groups[g];
        let field = &self.fields[col];
        let rows = group.num_rows();
        let chunks: Vec<_> = group
            .columns_under_root_iter(&field.name)
            .map(|c| c.collect())
            .unwrap_or_default();
        let mut decompressors = Vec::with_capacity(chunks.len());
        let mut types = Vec::with_capacity(chunks.len());
        for meta in &chunks {
            let range = meta.byte_range();
            let len = usize::try_from(range.end.saturating_sub(range.start)).map_err(unreadable)?;
            let mut bytes = vec![0u8; len];
            source.read_exact_at(range.start, &mut bytes).map_err(unreadable)?;
            let pages = PageReader::new(Cursor::new(Buffer::from(bytes)), meta, vec![], usize::MAX);
            decompressors.push(BasicDecompressor::new(pages, vec![]));
            types.push(&meta.descriptor().descriptor.primitive_type);
        }
        let text_column = types.len() == 1 && types[0].physical_type == PhysicalType::ByteArray;
        let wanted = if text_column {
            Field::new(field.name.clone(), ArrowDataType::Utf8View, true)
        } else {
            field.clone()
        };
        let (mut arrays, _) = column_iter_to_arrays(decompressors, types, wanted, None).map_err(unreadable)?;
        let array = match arrays.len() {
            1 => arrays.pop().expect("one array"),
            _ => {
                let parts: Vec<&dyn Array> = arrays.iter().map(|a| a.as_ref()).collect();
                polars_arrow::compute::concatenate::concatenate(&parts).map_err(unreadable)?
            }
        };
        if array.len() != rows {
            return Err(unreadable(format!(
                "kolom {} tidak lengkap / column cut short",
                field.name
            )));
        }
        if (labels && array.dtype() != &ArrowDataType::Utf8View) || !known(array.dtype()) {
            return cast(array.as_ref(), &ArrowDataType::Utf8View, CastOptionsImpl::default()).map_err(unreadable);
        }
        Ok(array)
    }

    /// Checks and adds the rows of row group `g` (its first row is data row `start`);
    /// returns the rejected rows.
    fn group<R: ReadAt + ?Sized>(
        &self,
        source: &R,
        g: usize,
        start: u64,
        sums: &mut Sums,
    ) -> Result<Vec<Rejected>, FileError> {
        let layout = self.layout;
        let k = self.k;
        let label_cols: Vec<usize> = [layout.unit, layout.service]
            .into_iter()
            .chain(layout.profile)
            .flatten()
            .collect();
        let mut arrays: Vec<Option<Box<dyn Array>>> = (0..self.fields.len()).map(|_| None).collect();
        for col in layout.columns() {
            arrays[col] = Some(self.decode(source, g, col, label_cols.contains(&col))?);
        }
        let column = |col: usize| Cells::of(arrays[col].as_deref().expect("decoded above"));
        let date = column(layout.date);
        let elements: Vec<(usize, Cells<'_>)> = layout.elements.iter().map(|(e, c)| (*e, column(*c))).collect();
        let label = |col: Option<usize>| col.map(column);
        let (unit, service) = (label(layout.unit), label(layout.service));
        let profile = layout.profile.map(label);
        let umur = label(layout.umur);

        let rows = self.metadata.row_groups[g].num_rows();
        let mut rejected = Vec::new();
        let mut dates = DateCache::default();
        let (mut days, mut scores, mut bad) = (Vec::new(), Vec::new(), Vec::new());
        for from in (0..rows).step_by(SLICE) {
            let to = (from + SLICE).min(rows);
            let n = to - from;
            // Column by column: the dates, then each element's scores.
            days.clear();
            days.extend((from..to).map(|i| date.get(i).day(&mut dates)));
            scores.clear();
            scores.resize(n * k, 0u8);
            bad.clear();
            bad.resize(n, None);
            for (slot, (e, cells)) in elements.iter().enumerate() {
                for (r, i) in (from..to).enumerate() {
                    match cells.get(i).score() {
                        Ok(0) => {}
                        Ok(v) => scores[r * k + e] = v,
                        Err(()) => bad[r] = Some(slot),
                    }
                }
            }
            for (r, i) in (from..to).enumerate() {
                let row_scores = &scores[r * k..(r + 1) * k];
                let problem = match (days[r], bad[r]) {
                    (None, _) => Some(RowProblem::BadDate(date.get(i).text())),
                    (_, Some(slot)) => Some(RowProblem::BadScore {
                        element: elements[slot].0,
                        value: elements[slot].1.get(i).text(),
                    }),
                    _ if row_scores.iter().all(|v| *v == 0) => Some(RowProblem::NoScores),
                    _ => None,
                };
                if let Some(problem) = problem {
                    rejected.push(Rejected {
                        line: start + i as u64 + 2,
                        problem,
                    });
                    continue;
                }
                let texts: [Option<&str>; TEXT_SLOTS] = [
                    Some(unit.as_ref().and_then(|c| c.label(i)).unwrap_or(self.default_unit)),
                    Some(service.as_ref().and_then(|c| c.label(i)).unwrap_or_default()),
                    profile[0].as_ref().and_then(|c| c.label(i)),
                    profile[1].as_ref().and_then(|c| c.label(i)),
                    profile[2].as_ref().and_then(|c| c.label(i)),
                ];
                let age = umur.as_ref().and_then(|c| c.get(i).umur());
                sums.push(days[r].expect("checked"), row_scores, &texts, age);
            }
        }
        Ok(rejected)
    }
}
