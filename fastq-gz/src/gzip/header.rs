//! gzip member headers (RFC 1952).

/// Flags of the FLG byte.
const FHCRC: u8 = 0x02;
const FEXTRA: u8 = 0x04;
const FNAME: u8 = 0x08;
const FCOMMENT: u8 = 0x10;
const RESERVED: u8 = 0xe0;

/// The length of the member header at the start of `data`: `Ok(None)` when more bytes are
/// needed, an error when this is not a gzip member.
pub(crate) fn header_length(data: &[u8]) -> Result<Option<usize>, String> {
    if data.len() < 10 {
        if !data.is_empty() && data[0] != 0x1f || data.len() > 1 && data[1] != 0x8b {
            return Err("not a gzip member (bad magic bytes)".to_string());
        }
        return Ok(None);
    }
    if data[0] != 0x1f || data[1] != 0x8b {
        return Err("not a gzip member (bad magic bytes)".to_string());
    }
    if data[2] != 8 {
        return Err(format!("unknown gzip compression method {}", data[2]));
    }
    let flags = data[3];
    if flags & RESERVED != 0 {
        return Err("gzip header has reserved flags set".to_string());
    }
    let mut length = 10;
    if flags & FEXTRA != 0 {
        let Some(extra) = data.get(10..12) else {
            return Ok(None);
        };
        length += 2 + usize::from(u16::from_le_bytes([extra[0], extra[1]]));
    }
    for flag in [FNAME, FCOMMENT] {
        if flags & flag != 0 {
            let Some(rest) = data.get(length..) else {
                return Ok(None);
            };
            let Some(end) = memchr::memchr(0, rest) else {
                return Ok(None);
            };
            length += end + 1;
        }
    }
    if flags & FHCRC != 0 {
        length += 2;
    }
    Ok((data.len() >= length).then_some(length))
}

/// Whether `data` starts like BGZF (gzip with a `BC` extra subfield).
pub fn is_bgzf(data: &[u8]) -> bool {
    data.len() >= 16 && data[..2] == [0x1f, 0x8b] && data[3] & FEXTRA != 0 && data[12..14] == *b"BC"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_optional_fields() {
        let plain = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];
        assert_eq!(header_length(&plain), Ok(Some(10)));
        let mut named = plain.to_vec();
        named[3] = FNAME;
        named.extend_from_slice(b"reads.fq\0");
        assert_eq!(header_length(&named), Ok(Some(19)));
        assert_eq!(header_length(&named[..15]), Ok(None));
        let mut extra = plain.to_vec();
        extra[3] = FEXTRA;
        extra.extend_from_slice(&[6, 0, b'B', b'C', 2, 0, 0x1b, 0]);
        assert_eq!(header_length(&extra), Ok(Some(18)));
        assert!(is_bgzf(&extra));
        assert!(header_length(b"@read1\nACGT").is_err());
    }
}
