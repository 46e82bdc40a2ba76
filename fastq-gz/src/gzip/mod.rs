//! gzip decoding that can stop at deflate block boundaries and resume from them.

mod decoder;
mod header;
mod inflate;
pub mod trace;

pub use decoder::{Decoder, NoObserver, Observer, Resume};
pub(crate) use header::header_length;
pub use header::is_bgzf;

/// Deflate's window: a resumed stream needs the 32 KiB of output before the resume point.
pub const WINDOW: usize = 32 * 1024;
