//! One pileup line: its fields, and the check of each sample's bases against its depth.

use partition_core::{Error, Position, Result};

/// A line split into fields, borrowed from its text (without the line ending).
pub struct Fields<'a> {
    pub fields: Vec<&'a [u8]>,
}

impl<'a> Fields<'a> {
    pub fn split(line: &'a [u8]) -> Fields<'a> {
        Fields {
            fields: line.split(|&b| b == b'\t').collect(),
        }
    }

    pub fn chrom(&self) -> &'a [u8] {
        self.fields[0]
    }
}

/// Byte offset of field `index` in a line: for errors' column numbers.
pub fn column_of(fields: &[&[u8]], index: usize) -> u64 {
    fields[..index]
        .iter()
        .map(|f| f.len() as u64 + 1)
        .sum::<u64>()
        + 1
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

/// Counts the read tokens of a BASES column, checking the grammar
/// `[^ MAPQ] base [(+|-) LEN SEQ] [$]`; on error, the offset in `bases` and the problem.
pub fn count_tokens(bases: &[u8]) -> Result<u64, (usize, String)> {
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
                if start + length > bases.len() {
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
pub fn check_sample(fields: &[&[u8]], first: usize, input: &str, line_number: u64) -> Result<u64> {
    let error = |index: usize, extra: u64, message: String| {
        Error::bad_input(
            input,
            Position::LineColumn(line_number, column_of(fields, index) + extra),
            message,
        )
    };
    let depth_text = fields[first];
    let depth: u64 = std::str::from_utf8(depth_text)
        .ok()
        .filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|t| t.parse().ok())
        .ok_or_else(|| {
            error(
                first,
                0,
                format!("depth '{}' is not a number", depth_text.escape_ascii()),
            )
        })?;
    let (bases, quals) = (fields[first + 1], fields[first + 2]);
    if depth == 0 {
        return Ok(0);
    }
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

    #[test]
    fn checks_depth_against_bases_and_qualities() {
        let line = b"17\t2\tN\t3\tAA,\tJBJ";
        let fields = Fields::split(line).fields;
        assert_eq!(check_sample(&fields, 3, "p.txt", 7).unwrap(), 3);
        let line = b"17\t2\tN\t3\tAA\tJBJ";
        let fields = Fields::split(line).fields;
        let error = check_sample(&fields, 3, "p.txt", 7)
            .unwrap_err()
            .to_string();
        assert_eq!(
            error,
            "p.txt: line 7, column 8: depth 3 but 2 read bases and 3 qualities"
        );
        let line = b"17\t2\tN\t1\tA+Q\tJ";
        let fields = Fields::split(line).fields;
        let error = check_sample(&fields, 3, "p.txt", 7)
            .unwrap_err()
            .to_string();
        assert_eq!(
            error,
            "p.txt: line 7, column 11: '+' without an indel length"
        );
    }
}
