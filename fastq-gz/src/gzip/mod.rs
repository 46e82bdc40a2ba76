//! gzip decoding that can stop at deflate block boundaries and resume from them.
//!
//! - `decoder`, `inflate`, `header`: the streaming decoder on zlib-rs ([`Decoder`]).
//! - `deflate`: deflate's structures read a bit at a time, for the three below.
//! - [`trace`]: which bytes of a checkpoint's window the data after it uses.
//! - [`finder`]: where a deflate block starts, from anywhere in a stream.
//! - [`markers`]: deflate decoded with the window before it unknown, symbol by symbol: how
//!   the finder tries a block.
//! - [`range`], [`resolve`], [`rounds`], [`parallel`]: one file decoded on many threads:
//!   ranges decoded at once with their windows unknown, chained and resolved round after
//!   round, and a reader over them that tells an [`Observer`] what the sequential decoder
//!   would.

mod decoder;
mod deflate;
pub mod finder;
mod header;
mod inflate;
pub mod markers;
pub mod parallel;
pub mod range;
pub mod resolve;
pub mod rounds;
pub mod trace;

pub use decoder::{Decoder, NoObserver, ObservedRead, Observer, Resume};
pub(crate) use header::header_length;
pub use header::is_bgzf;
pub use parallel::ParallelDecoder;

/// Deflate's window: a resumed stream needs the 32 KiB of output before the resume point.
pub const WINDOW: usize = 32 * 1024;
