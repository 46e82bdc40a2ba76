//! Raw inflate that can stop at deflate block ends and resume from them with a preset window,
//! which flate2 cannot do. zlib-rs by default; ISA-L, about twice as fast, with the `isal`
//! feature (it needs the system's libisal).

#[cfg(feature = "isal")]
mod isal;
#[cfg(not(feature = "isal"))]
mod zlib;

#[cfg(feature = "isal")]
pub(crate) use isal::RawInflate;
#[cfg(not(feature = "isal"))]
pub(crate) use zlib::RawInflate;

/// The result of one inflate call.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Step {
    pub consumed: usize,
    pub produced: usize,
    pub stop: Stop,
    /// Bits of the consumed input not decoded yet: at a stop, decoding stopped
    /// `consumed * 8 - pending_bits` bits into the input.
    pub pending_bits: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    /// Input or output ran out.
    None,
    /// After a deflate block that is not the stream's last: a place to resume.
    BlockEnd,
    /// The deflate stream (a gzip member's body) ended.
    StreamEnd,
}
