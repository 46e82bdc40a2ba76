//! Deflate's structures (RFC 1951), read a bit at a time: the bit reader, canonical Huffman
//! codes, the fixed codes and a dynamic block's header, the length and distance tables.
//! Shared by the window trace, the block finder and the marker decoder, which parse deflate
//! where zlib cannot be asked: without producing bytes, at an arbitrary bit, or with the
//! window before unknown.

/// Deflate's bit order: values are packed from the least significant bit of each byte.
pub(crate) struct Bits<'a> {
    data: &'a [u8],
    /// The next bit to read, from the start of `data`.
    pub at: usize,
}

impl<'a> Bits<'a> {
    pub fn new(data: &'a [u8], at: usize) -> Bits<'a> {
        Bits { data, at }
    }

    /// The byte at `index` of the data (stored blocks are copied byte by byte).
    pub fn byte(&self, index: usize) -> Option<u8> {
        self.data.get(index).copied()
    }

    pub fn take(&mut self, count: u32) -> Option<u32> {
        let mut value = 0;
        for i in 0..count {
            let byte = *self.data.get(self.at / 8)?;
            value |= u32::from((byte >> (self.at % 8)) & 1) << i;
            self.at += 1;
        }
        Some(value)
    }
}

/// A canonical Huffman code: how many codes have each length, and the symbols in code order.
pub(crate) struct Code {
    counts: [u16; 16],
    symbols: Vec<u16>,
    /// Every code of the longest length is used (no code left over).
    complete: bool,
}

impl Code {
    pub fn new(lengths: &[u8]) -> Option<Code> {
        let mut counts = [0u16; 16];
        for &length in lengths {
            counts[usize::from(length)] += 1;
        }
        counts[0] = 0;
        // More codes of a length than the lengths before leave room for is not a code. Checked
        // first: the block finder tries many headers, and most fail here.
        let mut room = 1i32;
        for &count in &counts[1..] {
            room = room * 2 - i32::from(count);
            if room < 0 {
                return None;
            }
        }
        // Symbols in code order: by length, then by value (a counting sort).
        let mut next = [0u16; 16];
        for length in 2..16 {
            next[length] = next[length - 1] + counts[length - 1];
        }
        let mut symbols = vec![0u16; usize::from(next[15] + counts[15])];
        for (symbol, &length) in lengths.iter().enumerate() {
            if length > 0 {
                let slot = &mut next[usize::from(length)];
                symbols[usize::from(*slot)] = symbol as u16;
                *slot += 1;
            }
        }
        Some(Code {
            counts,
            symbols,
            complete: room == 0,
        })
    }

    /// Whether zlib takes this code: complete, or empty, or (but for a block header's code
    /// lengths) one code of one bit.
    fn zlib_valid(&self, header: bool) -> bool {
        let longest = (1..16)
            .rev()
            .find(|&length| self.counts[length] > 0)
            .unwrap_or(0);
        self.complete || longest == 0 || (!header && longest == 1)
    }

    /// Reads one symbol, a bit at a time: codes of each length follow those of the length
    /// before, so a code of length n is valid when it falls among that length's codes.
    pub fn decode(&self, bits: &mut Bits) -> Option<u16> {
        let (mut code, mut first, mut index) = (0i32, 0i32, 0i32);
        for &count in &self.counts[1..] {
            code |= bits.take(1)? as i32;
            let count = i32::from(count);
            if code - first < count {
                return self.symbols.get((index + code - first) as usize).copied();
            }
            index += count;
            first = (first + count) << 1;
            code <<= 1;
        }
        None
    }
}

pub(crate) fn fixed_codes() -> (Code, Code) {
    let mut lengths = [8u8; 288];
    lengths[144..256].fill(9);
    lengths[256..280].fill(7);
    let literals = Code::new(&lengths).expect("the fixed code is a code");
    let distances = Code::new(&[5; 30]).expect("the fixed code is a code");
    (literals, distances)
}

/// The code-length order of a dynamic block's header.
const ORDER: [usize; 19] = [
    16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
];

/// A dynamic block's codes, after its 3 header bits; None where zlib would refuse them (too
/// many symbols, codes over- or under-subscribed, no end-of-block code), so that a block
/// finder can trust what it accepts as far as zlib does.
pub(crate) fn dynamic_codes(bits: &mut Bits) -> Option<(Code, Code)> {
    let literals = bits.take(5)? as usize + 257;
    let distances = bits.take(5)? as usize + 1;
    if literals > 286 || distances > 30 {
        return None;
    }
    let header = bits.take(4)? as usize + 4;
    let mut header_lengths = [0u8; 19];
    for &symbol in &ORDER[..header] {
        header_lengths[symbol] = bits.take(3)? as u8;
    }
    let header_code = Code::new(&header_lengths).filter(|code| code.zlib_valid(true))?;
    let mut lengths = Vec::with_capacity(literals + distances);
    while lengths.len() < literals + distances {
        let (value, repeat) = match header_code.decode(bits)? {
            length @ 0..=15 => (length as u8, 1),
            16 => (*lengths.last()?, 3 + bits.take(2)?),
            17 => (0, 3 + bits.take(3)?),
            18 => (0, 11 + bits.take(7)?),
            _ => return None,
        };
        lengths.extend(std::iter::repeat_n(value, repeat as usize));
    }
    if lengths.len() != literals + distances || lengths[256] == 0 {
        return None;
    }
    Some((
        Code::new(&lengths[..literals]).filter(|code| code.zlib_valid(false))?,
        Code::new(&lengths[literals..]).filter(|code| code.zlib_valid(false))?,
    ))
}

/// Length symbols 257-285: base length and extra bits.
pub(crate) const LENGTHS: [(u16, u32); 29] = [
    (3, 0),
    (4, 0),
    (5, 0),
    (6, 0),
    (7, 0),
    (8, 0),
    (9, 0),
    (10, 0),
    (11, 1),
    (13, 1),
    (15, 1),
    (17, 1),
    (19, 2),
    (23, 2),
    (27, 2),
    (31, 2),
    (35, 3),
    (43, 3),
    (51, 3),
    (59, 3),
    (67, 4),
    (83, 4),
    (99, 4),
    (115, 4),
    (131, 5),
    (163, 5),
    (195, 5),
    (227, 5),
    (258, 0),
];

/// Distance codes 0-29: base distance and extra bits.
pub(crate) const DISTANCES: [(u16, u32); 30] = [
    (1, 0),
    (2, 0),
    (3, 0),
    (4, 0),
    (5, 1),
    (7, 1),
    (9, 2),
    (13, 2),
    (17, 3),
    (25, 3),
    (33, 4),
    (49, 4),
    (65, 5),
    (97, 5),
    (129, 6),
    (193, 6),
    (257, 7),
    (385, 7),
    (513, 8),
    (769, 8),
    (1025, 9),
    (1537, 9),
    (2049, 10),
    (3073, 10),
    (4097, 11),
    (6145, 11),
    (8193, 12),
    (12289, 12),
    (16385, 13),
    (24577, 13),
];
