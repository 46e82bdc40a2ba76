//! Progress bars on stderr, shown only to a person watching a terminal.

use std::io::{self, IsTerminal};

pub use indicatif::ProgressBar;
use indicatif::{ProgressBarIter, ProgressDrawTarget, ProgressFinish, ProgressStyle};

/// A byte-counting bar; hidden with `--quiet` or when stderr is not a terminal.
pub fn bytes(total: u64, quiet: bool, message: &str) -> ProgressBar {
    bar(
        total,
        quiet,
        message,
        "{msg} {bar:30} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
    )
}

/// Wraps a reader of `total` bytes in a byte-counting bar, cleared when the reader is dropped.
pub fn reader<R: io::Read>(input: R, total: u64, quiet: bool, message: &str) -> ProgressBarIter<R> {
    bytes(total, quiet, message)
        .with_finish(ProgressFinish::AndClear)
        .wrap_read(input)
}

/// A counting bar for items (chunks, tasks).
pub fn items(total: u64, quiet: bool, message: &str) -> ProgressBar {
    bar(
        total,
        quiet,
        message,
        "{msg} {bar:30} {pos}/{len} {per_sec} eta {eta}",
    )
}

fn bar(total: u64, quiet: bool, message: &str, template: &str) -> ProgressBar {
    if quiet || !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    bar.set_style(ProgressStyle::with_template(template).expect("progress templates are valid"));
    bar.set_message(message.to_string());
    bar
}
