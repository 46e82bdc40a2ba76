//! TIFF and BigTIFF structure: the header and the chain of IFDs, read with as few ranged
//! reads as possible (one of 32 KiB covers a COG's IFDs; more only when they reach further).

use std::collections::{BTreeMap, HashSet};

use partition_core::{ByteRange, Error, Position, Result, Source};

/// Bytes read at first: a COG's header, IFDs and offset arrays normally fit.
pub const HEADER_READ: u64 = 32 * 1024;

/// A tag's values, widened.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Unsigned(Vec<u64>),
    Signed(Vec<i64>),
    Float(Vec<f64>),
    Ascii(String),
}

impl Value {
    pub fn unsigned(&self) -> Option<&[u64]> {
        match self {
            Value::Unsigned(values) => Some(values),
            _ => None,
        }
    }

    pub fn floats(&self) -> Option<Vec<f64>> {
        match self {
            Value::Float(values) => Some(values.clone()),
            Value::Unsigned(values) => Some(values.iter().map(|&v| v as f64).collect()),
            Value::Signed(values) => Some(values.iter().map(|&v| v as f64).collect()),
            Value::Ascii(_) => None,
        }
    }
}

/// One image file directory.
#[derive(Debug, Clone, Default)]
pub struct Ifd {
    pub offset: u64,
    pub tags: BTreeMap<u16, Value>,
}

/// A parsed TIFF: byte order, flavour, directories, and what reading them cost.
#[derive(Debug)]
pub struct Tiff {
    pub little_endian: bool,
    pub big_tiff: bool,
    pub ifds: Vec<Ifd>,
    /// Bytes fetched to read the structure (the first read included).
    pub bytes_read: u64,
    pub reads: u32,
}

/// Ranged access to the file's structure, the first read cached.
struct Reader<'a> {
    source: &'a Source,
    head: Vec<u8>,
    little_endian: bool,
    bytes_read: u64,
    reads: u32,
}

impl Reader<'_> {
    fn bytes(&mut self, offset: u64, length: u64) -> Result<Vec<u8>> {
        let end = offset
            .checked_add(length)
            .filter(|&end| end <= self.source.size())
            .ok_or_else(|| {
                Error::bad_input(
                    self.source.url(),
                    Position::Byte(offset),
                    format!(
                        "{length} bytes needed past the end of the file ({} bytes)",
                        self.source.size()
                    ),
                )
            })?;
        if end <= self.head.len() as u64 {
            return Ok(self.head[offset as usize..end as usize].to_vec());
        }
        self.reads += 1;
        self.bytes_read += length;
        self.source.read_range(ByteRange::new(offset, end))
    }

    fn uint(&self, bytes: &[u8]) -> u64 {
        let mut value = 0u64;
        if self.little_endian {
            for &b in bytes.iter().rev() {
                value = value << 8 | u64::from(b);
            }
        } else {
            for &b in bytes {
                value = value << 8 | u64::from(b);
            }
        }
        value
    }
}

const fn type_size(kind: u16) -> Option<u64> {
    match kind {
        1 | 2 | 6 | 7 => Some(1),
        3 | 8 => Some(2),
        4 | 9 | 11 | 13 => Some(4),
        5 | 10 | 12 | 16 | 17 | 18 => Some(8),
        _ => None,
    }
}

impl Tiff {
    pub fn read(source: &Source) -> Result<Tiff> {
        let url = source.url();
        let head = source.read_range(ByteRange::new(0, source.size().min(HEADER_READ)))?;
        if head.len() < 8 {
            return Err(Error::bad_file(url, "too short to be a TIFF"));
        }
        let little_endian = match &head[..2] {
            b"II" => true,
            b"MM" => false,
            _ => {
                return Err(Error::bad_input(
                    url,
                    Position::Byte(0),
                    "not a TIFF (no II or MM byte order mark)",
                ))
            }
        };
        let mut reader = Reader {
            source,
            bytes_read: head.len() as u64,
            reads: 1,
            head,
            little_endian,
        };
        let version = reader.uint(&reader.head[2..4]);
        let (big_tiff, first) = match version {
            42 => (false, reader.uint(&reader.head[4..8])),
            43 => {
                let header = reader.bytes(4, 12)?;
                if reader.uint(&header[..2]) != 8 {
                    return Err(Error::bad_input(
                        url,
                        Position::Byte(4),
                        "BigTIFF offset size is not 8",
                    ));
                }
                (true, reader.uint(&header[4..12]))
            }
            other => {
                return Err(Error::bad_input(
                    url,
                    Position::Byte(2),
                    format!("not a TIFF (version {other}, expected 42 or 43)"),
                ))
            }
        };
        let mut ifds = Vec::new();
        let mut seen = HashSet::new();
        let mut next = first;
        while next != 0 {
            if !seen.insert(next) || ifds.len() >= 10_000 {
                return Err(Error::bad_input(
                    url,
                    Position::Byte(next),
                    "IFD chain loops",
                ));
            }
            let (ifd, following) = read_ifd(&mut reader, next, big_tiff)?;
            ifds.push(ifd);
            next = following;
        }
        if ifds.is_empty() {
            return Err(Error::bad_file(url, "TIFF has no image directory"));
        }
        Ok(Tiff {
            little_endian,
            big_tiff,
            ifds,
            bytes_read: reader.bytes_read,
            reads: reader.reads,
        })
    }
}

fn read_ifd(reader: &mut Reader, offset: u64, big_tiff: bool) -> Result<(Ifd, u64)> {
    let url = reader.source.url().to_string();
    let (count_size, entry_size, offset_size) = if big_tiff { (8, 20, 8) } else { (2, 12, 4) };
    let count_bytes = reader.bytes(offset, count_size)?;
    let count = reader.uint(&count_bytes);
    if count > 4096 {
        return Err(Error::bad_input(
            &url,
            Position::Byte(offset),
            format!("IFD claims {count} entries"),
        ));
    }
    let entries = reader.bytes(offset + count_size, count * entry_size + offset_size)?;
    let mut ifd = Ifd {
        offset,
        tags: BTreeMap::new(),
    };
    for i in 0..count as usize {
        let entry = &entries[i * entry_size as usize..(i + 1) * entry_size as usize];
        let tag = reader.uint(&entry[..2]) as u16;
        let kind = reader.uint(&entry[2..4]) as u16;
        let (values, inline) = if big_tiff {
            (reader.uint(&entry[4..12]), &entry[12..20])
        } else {
            (reader.uint(&entry[4..8]), &entry[8..12])
        };
        let Some(size) = type_size(kind) else {
            continue;
        };
        let length = values
            .checked_mul(size)
            .filter(|&n| n <= reader.source.size())
            .ok_or_else(|| {
                Error::bad_input(
                    &url,
                    Position::Byte(offset),
                    format!("tag {tag}: {values} values cannot fit in the file"),
                )
            })?;
        let data = if length <= inline.len() as u64 {
            inline[..length as usize].to_vec()
        } else {
            let at = reader.uint(inline);
            reader.bytes(at, length).map_err(|_| {
                Error::bad_input(
                    &url,
                    Position::Byte(at),
                    format!("tag {tag}: {length} bytes of values past the end of the file"),
                )
            })?
        };
        ifd.tags
            .insert(tag, decode(reader, kind, size as usize, &data));
    }
    let next = reader.uint(&entries[(count * entry_size) as usize..]);
    Ok((ifd, next))
}

fn decode(reader: &Reader, kind: u16, size: usize, data: &[u8]) -> Value {
    let items = data.chunks_exact(size);
    match kind {
        2 => Value::Ascii(
            String::from_utf8_lossy(data)
                .trim_end_matches('\0')
                .to_string(),
        ),
        1 | 3 | 4 | 7 | 13 | 16 | 18 => Value::Unsigned(items.map(|b| reader.uint(b)).collect()),
        6 | 8 | 9 | 17 => Value::Signed(
            items
                .map(|b| {
                    let v = reader.uint(b);
                    let shift = 64 - 8 * size as u32;
                    ((v << shift) as i64) >> shift
                })
                .collect(),
        ),
        5 | 10 => Value::Float(
            data.chunks_exact(8)
                .map(|b| {
                    let (n, d) = (reader.uint(&b[..4]), reader.uint(&b[4..]));
                    if kind == 10 {
                        n as u32 as i32 as f64 / d as u32 as i32 as f64
                    } else {
                        n as f64 / d as f64
                    }
                })
                .collect(),
        ),
        11 => Value::Float(
            items
                .map(|b| f32::from_bits(reader.uint(b) as u32) as f64)
                .collect(),
        ),
        _ => Value::Float(items.map(|b| f64::from_bits(reader.uint(b))).collect()),
    }
}
