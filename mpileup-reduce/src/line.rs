//! One pileup line: its fields, and the check of each sample's bases against its depth.

use partition_core::{Error, Position, Result};

/// The byte ranges of a line's tab-separated fields, into `ranges` (reused between lines).
pub fn split_fields(line: &[u8], ranges: &mut Vec<(usize, usize)>) {
    ranges.clear();
    let mut start = 0;
    for tab in memchr::memchr_iter(b'\t', line) {
        ranges.push((start, tab));
        start = tab + 1;
    }
    ranges.push((start, line.len()));
}

/// Field `index` of a split line.
pub fn field<'a>(line: &'a [u8], ranges: &[(usize, usize)], index: usize) -> &'a [u8] {
    let (start, end) = ranges[index];
    &line[start..end]
}

/// 1-based column of field `index`, for errors.
pub fn column_of(ranges: &[(usize, usize)], index: usize) -> u64 {
    ranges[index].0 as u64 + 1
}

/// Parses a position (1-based).
pub fn parse_position(text: &[u8]) -> Option<u64> {
    if text.is_empty() || text.len() > 19 || !text.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(text)
        .ok()?
        .parse()
        .ok()
        .filter(|&p| p > 0)
}

const OTHER: u8 = 0;
const BASE: u8 = 1;
const END: u8 = 2;

/// What each byte is in a BASES column without marks or indels: a read's base, a read end, or
/// not allowed.
static BYTE_CLASS: [u8; 256] = {
    let mut table = [OTHER; 256];
    let mut b = 0;
    while b < 256 {
        let byte = b as u8;
        if byte.is_ascii_alphabetic() || matches!(byte, b'.' | b',' | b'*' | b'#' | b'>' | b'<') {
            table[b] = BASE;
        }
        b += 1;
    }
    table[b'$' as usize] = END;
    table
};

/// Counts the read tokens of a BASES column, checking the grammar
/// `[^ MAPQ] base [(+|-) LEN SEQ] [$]`; on error, the offset in `bases` and the problem.
pub fn count_tokens(bases: &[u8]) -> Result<u64, (usize, String)> {
    // Most columns have no read starts and no indels: one pass over a table decides.
    if memchr::memchr3(b'^', b'+', b'-', bases).is_none() {
        let mut ends = 0;
        for (i, &b) in bases.iter().enumerate() {
            match BYTE_CLASS[b as usize] {
                BASE => {}
                END => ends += 1,
                _ => return Err((i, format!("unexpected '{}' in the bases", b.escape_ascii()))),
            }
        }
        return Ok((bases.len() - ends) as u64);
    }
    let mut i = 0;
    let mut tokens = 0;
    while i < bases.len() {
        match bases[i] {
            b'^' => {
                // The mapping quality character may be anything printable: take it as it is.
                if i + 1 >= bases.len() {
                    return Err((i, "'^' without its mapping quality".to_string()));
                }
                i += 2;
                continue;
            }
            b'$' => {
                i += 1;
                continue;
            }
            b'+' | b'-' => {
                let digits = bases[i + 1..]
                    .iter()
                    .take_while(|b| b.is_ascii_digit())
                    .count();
                if digits == 0 {
                    return Err((i, format!("'{}' without an indel length", bases[i] as char)));
                }
                let length: usize = std::str::from_utf8(&bases[i + 1..i + 1 + digits])
                    .ok()
                    .and_then(|t| t.parse().ok())
                    .ok_or((i, "indel length too large".to_string()))?;
                let start = i + 1 + digits;
                if length > bases.len() - start {
                    return Err((i, format!("indel of {length} bases runs past the column")));
                }
                if let Some(bad) = bases[start..start + length]
                    .iter()
                    .position(|b| !(b.is_ascii_alphabetic() || *b == b'*' || *b == b'#'))
                {
                    return Err((
                        start + bad,
                        format!("'{}' in an indel sequence", bases[start + bad] as char),
                    ));
                }
                i = start + length;
                continue;
            }
            b'.' | b',' | b'*' | b'#' | b'>' | b'<' => tokens += 1,
            b if b.is_ascii_alphabetic() => tokens += 1,
            other => {
                return Err((
                    i,
                    format!("unexpected '{}' in the bases", other.escape_ascii()),
                ))
            }
        }
        i += 1;
    }
    Ok(tokens)
}

/// Checks one sample group (DEPTH, BASES, QUALS) of a line; `first` is the DEPTH field's index.
pub fn check_sample(
    line: &[u8],
    ranges: &[(usize, usize)],
    first: usize,
    input: &str,
    line_number: u64,
) -> Result<u64> {
    let error = |index: usize, extra: u64, message: String| {
        Error::bad_input(
            input,
            Position::LineColumn(line_number, column_of(ranges, index) + extra),
            message,
        )
    };
    let depth_text = field(line, ranges, first);
    let depth = parse_count(depth_text).ok_or_else(|| {
        error(
            first,
            0,
            format!("depth '{}' is not a number", depth_text.escape_ascii()),
        )
    })?;
    if depth == 0 {
        return Ok(0);
    }
    let (bases, quals) = (
        field(line, ranges, first + 1),
        field(line, ranges, first + 2),
    );
    let tokens = count_tokens(bases)
        .map_err(|(offset, message)| error(first + 1, offset as u64, message))?;
    if tokens != depth || quals.len() as u64 != depth {
        return Err(error(
            first,
            0,
            format!(
                "depth {depth} but {tokens} read bases and {} qualities",
                quals.len()
            ),
        ));
    }
    Ok(depth)
}

/// A non-negative decimal count.
pub fn parse_count(text: &[u8]) -> Option<u64> {
    if text.is_empty() || text.len() > 19 {
        return None;
    }
    text.iter().try_fold(0u64, |value, &b| {
        b.is_ascii_digit().then(|| value * 10 + u64::from(b - b'0'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_tokens_with_marks_and_indels() {
        assert_eq!(count_tokens(b"^>A^>A.,$"), Ok(4));
        assert_eq!(
            count_tokens(b"^$A"),
            Ok(1),
            "a '$' mapping quality is taken as it is"
        );
        assert_eq!(count_tokens(b"A+12ACGTACGTACGT,-2**"), Ok(2));
        assert_eq!(count_tokens(b"*><#"), Ok(4));
        assert_eq!(count_tokens(b""), Ok(0));
    }

    #[test]
    fn reports_malformed_tokens_with_their_offset() {
        assert_eq!(
            count_tokens(b"AA+C"),
            Err((2, "'+' without an indel length".to_string()))
        );
        assert_eq!(
            count_tokens(b"A-5AC"),
            Err((1, "indel of 5 bases runs past the column".to_string()))
        );
        assert_eq!(
            count_tokens(b"A!"),
            Err((1, "unexpected '!' in the bases".to_string()))
        );
        assert!(count_tokens(b"A^").is_err());
    }

    fn check(line: &[u8]) -> Result<u64> {
        let mut ranges = Vec::new();
        split_fields(line, &mut ranges);
        check_sample(line, &ranges, 3, "p.txt", 7)
    }

    #[test]
    fn checks_depth_against_bases_and_qualities() {
        assert_eq!(check(b"17\t2\tN\t3\tAA,\tJBJ").unwrap(), 3);
        let error = check(b"17\t2\tN\t3\tAA\tJBJ").unwrap_err().to_string();
        assert_eq!(
            error,
            "p.txt: line 7, column 8: depth 3 but 2 read bases and 3 qualities"
        );
        let error = check(b"17\t2\tN\t1\tA+Q\tJ").unwrap_err().to_string();
        assert_eq!(
            error,
            "p.txt: line 7, column 11: '+' without an indel length"
        );
        assert_eq!(parse_count(b"12"), Some(12));
        assert_eq!(parse_count(b"1x"), None);
    }
}
