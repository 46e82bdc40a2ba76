//! Raw point records: the few fields tiling reads or sets, at their offsets in the record.
//!
//! Records are never decoded into a point type and encoded again: classification, flags
//! and extra bytes pass through byte for byte.

/// Bytes of each point format's fields, before extra bytes (LAS 1.4 R15, table 7 onwards).
const BASE_LENGTH: [u16; 11] = [20, 28, 26, 34, 57, 63, 30, 36, 38, 59, 67];

/// A point data record format and the record length the file declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PointFormat {
    /// 0 to 10, without LAZ's compression bits.
    pub id: u8,
    pub record_length: u16,
}

impl PointFormat {
    /// From the header's format byte (compression bits allowed) and record length.
    pub fn new(format_byte: u8, record_length: u16) -> Result<PointFormat, String> {
        let id = format_byte & 0x3F;
        let Some(&base) = BASE_LENGTH.get(usize::from(id)) else {
            return Err(format!(
                "unsupported point data record format {id} (LAS defines formats 0 to 10)"
            ));
        };
        if record_length < base {
            return Err(format!(
                "point record length {record_length} is shorter than point format {id}'s {base} bytes"
            ));
        }
        Ok(PointFormat { id, record_length })
    }

    pub fn extra_bytes(&self) -> u16 {
        self.record_length - BASE_LENGTH[usize::from(self.id)]
    }

    // The accessors below are `#[inline]`: they run once per record in other modules'
    // loops, which a release build (several codegen units) would otherwise call.

    /// Formats 6 to 10: 4-bit return numbers, flags in their own byte, 64-bit counts only.
    #[inline]
    pub fn is_extended(&self) -> bool {
        self.id >= 6
    }

    #[inline]
    pub fn record_bytes(&self) -> usize {
        usize::from(self.record_length)
    }

    #[inline]
    pub fn xyz(record: &[u8]) -> [i32; 3] {
        [
            i32::from_le_bytes(record[0..4].try_into().unwrap()),
            i32::from_le_bytes(record[4..8].try_into().unwrap()),
            i32::from_le_bytes(record[8..12].try_into().unwrap()),
        ]
    }

    #[inline]
    pub fn return_number(&self, record: &[u8]) -> u8 {
        if self.is_extended() {
            record[14] & 0x0F
        } else {
            record[14] & 0x07
        }
    }

    /// The withheld bit: bit 7 of the classification byte in formats 0-5, bit 2 of the
    /// classification-flags byte in 6-10 (both at offset 15).
    #[inline]
    fn withheld_mask(&self) -> u8 {
        if self.is_extended() {
            0x04
        } else {
            0x80
        }
    }

    #[inline]
    pub fn is_withheld(&self, record: &[u8]) -> bool {
        record[15] & self.withheld_mask() != 0
    }

    #[inline]
    pub fn set_withheld(&self, record: &mut [u8]) {
        record[15] |= self.withheld_mask();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_flags() {
        assert!(PointFormat::new(11, 100).unwrap_err().contains("format 11"));
        assert!(PointFormat::new(6, 29).unwrap_err().contains("30 bytes"));
        let laz6 = PointFormat::new(0x80 | 6, 33).unwrap();
        assert_eq!((laz6.id, laz6.extra_bytes()), (6, 3));
        let mut record = vec![0u8; 30];
        record[14] = 0x2B;
        assert_eq!(laz6.return_number(&record), 11);
        laz6.set_withheld(&mut record);
        assert_eq!(record[15], 0x04);
        assert!(laz6.is_withheld(&record));
        let las1 = PointFormat::new(1, 28).unwrap();
        let mut record = vec![0u8; 28];
        record[14] = 0x2B;
        assert_eq!(las1.return_number(&record), 3);
        assert!(!las1.is_withheld(&record));
        las1.set_withheld(&mut record);
        assert_eq!(record[15], 0x80);
    }
}
