//! Cloud-Optimized GeoTIFF windows with exact tile byte ranges.
//!
//! Not built yet: this crate reserves its place in the workspace and its binary,
//! `cog-windows`, which only explains what it will do. Its manifest kind is specified in
//! `docs/manifest.md`.
