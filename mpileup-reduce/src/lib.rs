//! Balanced, exact merge of partial mpileups.
//!
//! Not built yet: this crate reserves its place in the workspace and its binary,
//! `mpileup-reduce`, which only explains what it will do. Its manifest kind is specified in
//! `docs/manifest.md`.
