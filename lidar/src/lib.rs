//! Density-based LAS/LAZ tiling with buffers.
//!
//! Not built yet: this crate reserves its place in the workspace and its binary,
//! `lidar-tile`, which only explains what it will do. Its manifest kind is specified in
//! `docs/manifest.md`.
