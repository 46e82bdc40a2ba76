//! gzip decoding that can stop at deflate block boundaries and resume from them.
//!
//! - `decoder`, `inflate`, `header`: the streaming decoder on zlib-rs ([`Decoder`]).
//! - `deflate`: deflate's structures read a bit at a time, for the three below.
//! - [`trace`]: which bytes of a checkpoint's window the data after it uses.
//! - [`finder`]: where a deflate block starts, from anywhere in a stream.
//! - [`markers`]: deflate decoded with the window before it unknown, symbol by symbol: how
//!   the finder tries a block.
//! - [`range`], [`resolve`]: a compressed range decoded on its own, the window before it
//!   unknown, and its copies from that window resolved once it is known: how the index is
//!   built in parts ([`crate::index::parts`]).

mod decoder;
mod deflate;
pub mod finder;
mod header;
mod inflate;
pub mod markers;
pub mod range;
pub mod resolve;
pub mod trace;

pub use decoder::{Decoder, NoObserver, Observer, Resume};
pub(crate) use header::header_length;
pub use header::is_bgzf;

/// Deflate's window: a resumed stream needs the 32 KiB of output before the resume point.
pub const WINDOW: usize = 32 * 1024;
