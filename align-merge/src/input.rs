//! One aligner output (SAM or BAM, told apart by its first bytes) read one template at a time.
//!
//! Records are read lazily (noodles' `sam::Record` / `bam::Record` keep the raw bytes and decode
//! fields on access): most records of most inputs are read, looked at and dropped, and only the
//! kept ones are decoded whole.

use std::io::{self, BufRead, BufReader, Read};

use bstr::{BStr, ByteSlice};
use noodles_bam as bam;
use noodles_bgzf as bgzf;
use noodles_sam::{self as sam, alignment};
use partition_core::{Error, Position, Result, Source};

/// One input: its name (for errors), its header and the next template's records.
pub struct Input {
    pub name: String,
    pub header: sam::Header,
    reader: Reader,
    pending: Option<Record>,
    /// Records read so far (1-based number of the last one).
    records: u64,
    /// The number of the current template's first record (1-based).
    template_start: u64,
}

enum Reader {
    Sam(sam::io::Reader<Box<dyn BufRead + Send>>),
    Bam(bam::io::Reader<bgzf::io::Reader<Box<dyn BufRead + Send>>>),
}

/// An undecoded alignment record of either format.
pub enum Record {
    Sam(sam::Record),
    Bam(bam::Record),
}

impl Record {
    pub fn get(&self) -> &dyn alignment::Record {
        match self {
            Record::Sam(record) => record,
            Record::Bam(record) => record,
        }
    }
}

impl Input {
    /// Opens a local path, an `s3://` or `http(s)://` URL, or `-` (stdin).
    pub fn open(url: &str) -> Result<Input> {
        if url == "-" {
            Input::from_reader("<stdin>", Box::new(io::stdin()))
        } else {
            Input::from_reader(url, Source::open(url)?.reader()?)
        }
    }

    /// Reads SAM or BAM from `raw`, named `name` in errors.
    pub fn from_reader(name: &str, raw: Box<dyn Read + Send>) -> Result<Input> {
        let name = name.to_string();
        let mut buffered: Box<dyn BufRead + Send> =
            Box::new(BufReader::with_capacity(1 << 17, raw));
        let is_bgzf = buffered
            .fill_buf()
            .map_err(|e| Error::io(&name, e))?
            .starts_with(&[0x1f, 0x8b]);
        let (reader, header) = if is_bgzf {
            let mut reader = bam::io::Reader::new(buffered);
            let header = reader.read_header().map_err(|e| header_error(&name, e))?;
            (Reader::Bam(reader), header)
        } else {
            let mut reader = sam::io::Reader::new(buffered);
            let header = reader.read_header().map_err(|e| header_error(&name, e))?;
            (Reader::Sam(reader), header)
        };
        Ok(Input {
            name,
            header,
            reader,
            pending: None,
            records: 0,
            template_start: 0,
        })
    }

    /// Reads the next template (the consecutive records of one read name) into `records`;
    /// false at the end of the input.
    pub fn read_template(&mut self, records: &mut Vec<Record>) -> Result<bool> {
        records.clear();
        let first = match self.pending.take() {
            Some(record) => record,
            None => match self.read_record()? {
                Some(record) => record,
                None => return Ok(false),
            },
        };
        // The first record is the last one read, whether it waited as pending or not.
        self.template_start = self.records;
        let name = self.name_of(&first)?.to_owned();
        records.push(first);
        while let Some(record) = self.read_record()? {
            if self.name_of(&record)? != name.as_bstr() {
                self.pending = Some(record);
                break;
            }
            records.push(record);
        }
        Ok(true)
    }

    /// The number of the last record read (1-based), for errors.
    pub fn record_number(&self) -> u64 {
        self.records - u64::from(self.pending.is_some())
    }

    /// Where the current template's record `index` is, for errors.
    pub fn position_of(&self, index: usize) -> Position {
        Position::Record(self.template_start + index as u64)
    }

    fn name_of<'r>(&self, record: &'r Record) -> Result<&'r BStr> {
        record.get().name().ok_or_else(|| {
            Error::bad_input(
                &self.name,
                Position::Record(self.records),
                "a record without a read name (QNAME '*'): reads are matched across inputs by name",
            )
        })
    }

    fn read_record(&mut self) -> Result<Option<Record>> {
        let read = match &mut self.reader {
            Reader::Sam(reader) => {
                let mut record = sam::Record::default();
                reader
                    .read_record(&mut record)
                    .map(|n| (n, Record::Sam(record)))
            }
            Reader::Bam(reader) => {
                let mut record = bam::Record::default();
                reader
                    .read_record(&mut record)
                    .map(|n| (n, Record::Bam(record)))
            }
        };
        match read {
            Ok((0, _)) => Ok(None),
            Ok((_, record)) => {
                self.records += 1;
                Ok(Some(record))
            }
            Err(e) => Err(record_error(&self.name, self.records + 1, e)),
        }
    }
}

fn header_error(input: &str, error: io::Error) -> Error {
    match error.kind() {
        io::ErrorKind::InvalidData | io::ErrorKind::UnexpectedEof => {
            Error::bad_file(input, format!("not a SAM or BAM file: bad header: {error}"))
        }
        _ => Error::io(input, error),
    }
}

/// An error reading record `number` (1-based).
pub fn record_error(input: &str, number: u64, error: io::Error) -> Error {
    match error.kind() {
        io::ErrorKind::InvalidData | io::ErrorKind::UnexpectedEof | io::ErrorKind::InvalidInput => {
            Error::bad_input(
                input,
                Position::Record(number),
                format!("bad record: {error}"),
            )
        }
        _ => Error::io(input, error),
    }
}

/// The read name, as errors print it.
pub fn read_name(name: &[u8]) -> String {
    String::from_utf8_lossy(name).into_owned()
}
