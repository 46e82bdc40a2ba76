//! The `.cwi` file: the index written and read back, every field checked.

use std::io::Write;

use partition_core::{Error, Result};

use super::{Checkpoint, GzIndex, MAGIC, VERSION};

impl GzIndex {
    pub fn write(&self, mut output: impl Write) -> std::io::Result<()> {
        let mut bytes = Vec::with_capacity(64 + self.checkpoints.len() * 3000);
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&VERSION.to_le_bytes());
        for value in [
            self.span,
            self.compressed_size,
            self.uncompressed_size,
            self.records,
            self.lines,
        ] {
            bytes.extend_from_slice(&value.to_le_bytes());
        }
        bytes.extend_from_slice(&self.crc32.to_le_bytes());
        bytes.extend_from_slice(&(self.checkpoints.len() as u64).to_le_bytes());
        for c in &self.checkpoints {
            bytes.extend_from_slice(&c.in_byte.to_le_bytes());
            bytes.push(c.bits);
            bytes.push(u8::from(c.member_start));
            for value in [c.out, c.lines, c.first_out, c.record, c.tail_in] {
                bytes.extend_from_slice(&value.to_le_bytes());
            }
            bytes.extend_from_slice(&c.first_crc.to_le_bytes());
            bytes.extend_from_slice(&(c.window.len() as u32).to_le_bytes());
            bytes.extend_from_slice(&c.window);
        }
        let mut crc = flate2::Crc::new();
        crc.update(&bytes);
        bytes.extend_from_slice(&crc.sum().to_le_bytes());
        output.write_all(&bytes)?;
        output.flush()
    }

    /// The format version of an index file's bytes, when they start like one.
    pub fn version(bytes: &[u8]) -> Option<u32> {
        let version = bytes.strip_prefix(MAGIC)?.get(..4)?;
        Some(u32::from_le_bytes(version.try_into().expect("4 bytes")))
    }

    /// Reads an index file; `name` names it in errors. Every count and offset is checked
    /// before it is trusted, so a damaged file is an error, not a huge allocation.
    pub fn read(bytes: &[u8], name: &str) -> Result<GzIndex> {
        let bad = |message: String| Error::bad_file(name, message);
        if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
            return Err(bad("not a chunkwise gzip index (bad magic)".to_string()));
        }
        let (body, stored) = bytes.split_at(bytes.len().saturating_sub(4));
        let mut crc = flate2::Crc::new();
        crc.update(body);
        if stored.len() != 4 || u32::from_le_bytes(stored.try_into().expect("4 bytes")) != crc.sum()
        {
            return Err(bad(
                "index checksum does not match (damaged or truncated file)".to_string(),
            ));
        }
        let mut cursor = Cursor::new(body, MAGIC.len(), name);
        let version = cursor.u32()?;
        if version != VERSION {
            return Err(bad(format!(
                "index version {version}, this build reads {VERSION}: rebuild it"
            )));
        }
        let (span, compressed_size, uncompressed_size, records, lines) = (
            cursor.u64()?,
            cursor.u64()?,
            cursor.u64()?,
            cursor.u64()?,
            cursor.u64()?,
        );
        let crc32 = cursor.u32()?;
        let count = cursor.u64()?;
        // Each checkpoint takes at least 58 bytes: a larger count cannot be true.
        if count > (body.len() / 58) as u64 {
            return Err(bad(format!(
                "index claims {count} checkpoints, more than the file can hold"
            )));
        }
        let mut checkpoints = Vec::with_capacity(count as usize);
        for _ in 0..count {
            let in_byte = cursor.u64()?;
            let bits = cursor.u8()?;
            let member_start = cursor.u8()? != 0;
            let (out, lines, first_out, record, tail_in) = (
                cursor.u64()?,
                cursor.u64()?,
                cursor.u64()?,
                cursor.u64()?,
                cursor.u64()?,
            );
            let first_crc = cursor.u32()?;
            let window_length = cursor.u32()? as usize;
            let window = cursor.bytes(window_length)?.to_vec();
            let checkpoint = Checkpoint {
                in_byte,
                bits,
                member_start,
                out,
                lines,
                first_out,
                record,
                tail_in,
                first_crc,
                window,
            };
            let ordered = checkpoints.last().is_none_or(|previous: &Checkpoint| {
                previous.out < out && previous.record <= record && previous.lines <= lines
            });
            if bits > 7
                || (bits > 0 && in_byte == 0)
                || first_out < out
                || tail_in > compressed_size
                || in_byte > tail_in
                || !ordered
            {
                return Err(bad(format!(
                    "checkpoint {} is inconsistent",
                    checkpoints.len()
                )));
            }
            checkpoints.push(checkpoint);
        }
        if cursor.position != body.len() {
            return Err(bad("trailing bytes after the checkpoints".to_string()));
        }
        Ok(GzIndex {
            span,
            compressed_size,
            uncompressed_size,
            records,
            lines,
            crc32,
            crcs_known: true,
            checkpoints,
        })
    }
}

/// An index file's bytes, read in order; reading past the end is an error naming the file.
pub(crate) struct Cursor<'a> {
    bytes: &'a [u8],
    position: usize,
    name: &'a str,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(bytes: &'a [u8], position: usize, name: &'a str) -> Self {
        Self {
            bytes,
            position,
            name,
        }
    }

    pub(crate) fn bytes(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self
            .position
            .checked_add(n)
            .filter(|&end| end <= self.bytes.len())
            .ok_or_else(|| {
                Error::bad_file(
                    self.name,
                    format!(
                        "index ends early (needed {n} bytes at byte {})",
                        self.position
                    ),
                )
            })?;
        let slice = &self.bytes[self.position..end];
        self.position = end;
        Ok(slice)
    }

    fn u8(&mut self) -> Result<u8> {
        Ok(self.bytes(1)?[0])
    }

    fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(
            self.bytes(4)?.try_into().expect("4 bytes"),
        ))
    }

    fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(
            self.bytes(8)?.try_into().expect("8 bytes"),
        ))
    }

    /// gztool's indexes are big-endian.
    pub(crate) fn u32_be(&mut self) -> Result<u32> {
        Ok(u32::from_be_bytes(
            self.bytes(4)?.try_into().expect("4 bytes"),
        ))
    }

    pub(crate) fn u64_be(&mut self) -> Result<u64> {
        Ok(u64::from_be_bytes(
            self.bytes(8)?.try_into().expect("8 bytes"),
        ))
    }
}
