//! FASTA references: the `.fai` index, byte-identical to `samtools faidx`.
//!
//! A `.fai` line describes one sequence so that any base can be found without scanning:
//!
//! ```text
//! NAME  LENGTH  OFFSET  LINEBASES  LINEWIDTH
//! chrI  1000000 6       50         51
//! byte of 0-based base i = OFFSET + (i / LINEBASES) * LINEWIDTH + i % LINEBASES
//! ```
//!
//! - [`fai`]: the [`fai::Record`] type, [`fai::build`] (samtools' counting rules, edge cases
//!   included), and reading and writing `.fai` text.

pub mod fai;
