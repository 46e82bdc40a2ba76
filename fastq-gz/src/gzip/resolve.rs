//! Bytes copied from a window that was unknown when they were decoded: [`super::range`]
//! decodes twice with two made-up windows, and where the passes differ, the pair of bytes
//! names the window position they came from. Here they get the true window's bytes.

use super::WINDOW;

/// A range's last 32 KiB of output with the window before it unknown (or its output since
/// its last member's start): pass A's bytes, and pass B's for those the second pass decoded
/// (up to the end of the range's first member), which tell where they copy the window from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MarkedTail {
    #[serde(with = "crate::json")]
    pub first: Vec<u8>,
    #[serde(with = "crate::json")]
    pub second: Vec<u8>,
    /// The tail starts at a member's start: nothing before it belongs to the window after.
    pub from_member_start: bool,
    /// Where the tail starts in the range's output (for errors).
    pub offset: usize,
}

impl MarkedTail {
    /// The window after the range, given the one before it; a copy from before the window's
    /// start is an error naming its output offset in the range.
    pub fn resolve(&self, before: &[u8]) -> Result<Vec<u8>, usize> {
        let mut tail = self.first.clone();
        let marked = self.second.len();
        resolve(&mut tail[..marked], &self.second, before, self.offset)?;
        if tail.len() >= WINDOW || self.from_member_start {
            return Ok(tail);
        }
        let mut window = before[before.len().saturating_sub(WINDOW - tail.len())..].to_vec();
        window.extend_from_slice(&tail);
        Ok(window)
    }

    /// This tail, of a range decoded right after the one whose tail is `before`, grown to
    /// 32 KiB with the end of `before` where it is shorter: a range can end at a block
    /// boundary after less than 32 KiB of output (small blocks, empty ones), and the window
    /// after it then reaches back into the range before. Both tails' offsets count from the
    /// same output start.
    pub fn after(self, before: &MarkedTail) -> MarkedTail {
        if self.first.len() >= WINDOW || self.from_member_start {
            return self;
        }
        let from = before.first.len() - (WINDOW - self.first.len()).min(before.first.len());
        // Pass B's bytes where `before` has them; past them, pass A's are both (literals),
        // wanted only where this tail has pass B's after them.
        let mut second = before.second.get(from..).unwrap_or_default().to_vec();
        if !self.second.is_empty() {
            second.extend_from_slice(&before.first[from.max(before.second.len())..]);
            second.extend_from_slice(&self.second);
        }
        let mut first = before.first[from..].to_vec();
        first.extend_from_slice(&self.first);
        MarkedTail {
            first,
            second,
            from_member_start: before.from_member_start && from == 0,
            offset: before.offset + from,
        }
    }
}

/// The window position a byte copied from the unknown window came from, from its values in
/// the two passes (A holds `i & 0xff` at position `i`, B `(i & 0xff) ^ (1 + (i >> 8))`).
pub fn window_position(a: u8, b: u8) -> usize {
    (usize::from((a ^ b) - 1) << 8) | usize::from(a)
}

/// Byte `position` of the 32 KiB window (0 is the oldest) in `window`, which ends where the
/// range starts and may be shorter; none before its start.
pub fn window_byte(window: &[u8], position: usize) -> Option<u8> {
    let missing = WINDOW.saturating_sub(window.len());
    let start = window.len().saturating_sub(WINDOW);
    window.get(start + position.checked_sub(missing)?).copied()
}

/// Where the two passes differ, put `window`'s byte at the position the pair names
/// (`window` ends where the range starts). `offset`: where `first` sits in the range's
/// output, for the error, which names the output offset of a copy from before the window's
/// start.
pub fn resolve(first: &mut [u8], second: &[u8], window: &[u8], offset: usize) -> Result<(), usize> {
    // Most bytes are literals or copies of literals, equal in both passes: compared eight at
    // a time.
    let words = first.len() / 8 * 8;
    for (chunk, (a, b)) in first[..words]
        .chunks_exact_mut(8)
        .zip(second[..words].chunks_exact(8))
        .enumerate()
    {
        let word = |bytes: &[u8]| u64::from_ne_bytes(bytes.try_into().expect("8 bytes"));
        if word(a) != word(b) {
            put_window_bytes(a, b, window, offset + chunk * 8)?;
        }
    }
    put_window_bytes(
        &mut first[words..],
        &second[words..],
        window,
        offset + words,
    )
}

fn put_window_bytes(
    first: &mut [u8],
    second: &[u8],
    window: &[u8],
    offset: usize,
) -> Result<(), usize> {
    for (i, (a, &b)) in first.iter_mut().zip(second).enumerate() {
        if *a != b {
            *a = window_byte(window, window_position(*a, b)).ok_or(offset + i)?;
        }
    }
    Ok(())
}
