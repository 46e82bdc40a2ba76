//! Best hits of one read chunk across reference parts, in original coordinates.
//!
//! A reference split with `fasta-split plan --map` is aligned part by part: every read chunk
//! against every part. A read aligned against a part that lacks its true locus still gets hits
//! there, worse ones (or equally good ones, in repeats). [`merge()`] reads the SAM or BAM outputs
//! of one read chunk against every part, in one pass in read order, and writes one SAM or BAM
//! as a whole-reference aligner would have:
//!
//! - [`choose`](mod@choose): per read (per mate of a pair), the hits scoring the read's best `AS` across all
//!   parts survive; one locus found in two overlapping parts is one; a tie between distinct
//!   loci keeps the first in reference order as the primary, MAPQ 0, the others in `XA`.
//! - [`mates`]: mate fields from the kept mates, and the proper-pair rule for mates kept from
//!   different parts.
//! - [`lift`]: part coordinates to original ones (the name map and the `.fai`);
//!   [`records`](mod@records) moves kept records and their `SA`/`XA` tags there.
//! - [`input`]: SAM or BAM inputs read one template at a time (read in step, in part order, and
//!   each record's locus and score taken, in private modules); [`header`] and [`writer`]: the
//!   output, behind the [`Sink`] a merge writes to.
//!
//! Memory holds one template per input (plus, for pairs, up to [`mates::HOLD_LIMIT`] templates
//! while the proper-pair rule learns from the first pairs), whatever the number of reads.

pub mod choose;
pub mod header;
mod hits;
pub mod input;
pub mod lift;
pub mod mates;
pub mod merge;
pub mod records;
mod step;
pub mod writer;

pub use merge::{merge, merge_inputs, MergeOptions, MergeStats, Sink};
pub use writer::OutputFormat;
