//! Density-based tiling of LAS/LAZ point clouds, with buffers.
//!
//! A plan cuts one file, or many taken as one cloud, into tiles of at most N points (equal
//! counts, recursive cuts on the wider axis), each with a buffer of the points within B of
//! its core. A manifest line lists, per source, the byte ranges a worker reads: the head,
//! the LAZ chunks (COPC octree nodes) or LAS record runs holding the tile's points, and the
//! EVLRs. Tiles are real LAS/LAZ files: the source's header with recomputed counts and
//! bounds, its VLRs and EVLRs byte for byte, records copied raw, core points first and
//! buffer points after them, flagged withheld, with a tile record (`chunkwise`/1) saying
//! how many are which, so that buffers come off exactly.
//!
//! - [`layout`]: header, VLRs, point blocks (LAZ chunk table) and EVLRs of a file.
//! - [`record`]: point formats 0-10 and the raw record fields tiling touches.
//! - [`integers`]: boxes of coordinates as boxes of the files' integers (no scaling per point).
//! - [`laz_guard`]: the LAZ library run on damaged data: deep stacks, recursion and panics
//!   turned into errors.
//! - [`decode`]: point blocks to raw records (LAZ chunks in parallel, x/y only when enough).
//! - [`plan`](mod@plan): the cuts, each tile's core and buffered box, counts and reads.
//! - [`detail`]: what a `las` chunk carries: its boxes, counts, and runs of blocks per source.
//! - [`rebuild`]: a tile's file from its manifest line (records routed to their tiles).
//! - [`unbuffer`](mod@unbuffer): a tile's buffer points taken off exactly.
//! - [`write`](mod@write): a LAS or LAZ file written as raw records arrive; the tile record.
//! - [`svg`]: a picture of the tiles over a density map.

pub mod decode;
pub mod detail;
pub mod integers;
pub mod layout;
pub mod laz_guard;
pub mod plan;
pub mod rebuild;
pub mod record;
pub mod svg;
pub mod unbuffer;
pub mod write;

pub use detail::LasDetail;
pub use plan::{plan, LidarStats, Plan, PlanOptions, Tile, Tiling};
pub use rebuild::{tile_bytes, write_chunk, write_tiles};
pub use unbuffer::{unbuffer, Unbuffered};
pub use write::{Format, TileRecord, TileWriter};

use partition_core::Kind;

/// LAS/LAZ in the registry: tiles, rebuilt as files in their sources' format.
pub const FORMAT: partition_core::Format = partition_core::Format {
    name: "las",
    kinds: &[Kind::Las],
    binary: "lidar-tile",
    suffix: ".las",
    write_chunk,
};
