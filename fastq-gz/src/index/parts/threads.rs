//! The same rounds on the threads of one process: `fastq-split index -j N`.
//!
//! The file is cut into N parts, the first twice the others' size: its window is known (the
//! file's start), so its scan decodes once where the others decode twice, and round one
//! takes about as long on every thread. Each round runs its parts on N threads at once; the
//! joins between them take milliseconds. Every part is decoded in bounded stretches (scan)
//! or streamed (build), so memory is about N times one part's working set, whatever the
//! file's size, and no stage is sequential but the joins: the time falls with N until the
//! storage's read rate or the cores run out.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use partition_core::{progress, ByteRange, Result, Source};

use super::{build_part, chain, join, scan, Part};
use crate::index::GzIndex;

/// The index of `source` built in parts on `threads` threads (`quiet`: no progress bar).
pub fn build_on_threads(
    source: &Source,
    span: u64,
    threads: usize,
    quiet: bool,
) -> Result<GzIndex> {
    let parts = cut(source, threads as u64, span);
    let bar = progress::bytes(2 * source.size(), quiet, source.url());
    let scans = on_threads(threads, &parts, |part| {
        let scanned = scan(part);
        bar.inc(part.range.len());
        scanned
    })?;
    let starts = chain(&parts, scans)?;
    let pairs: Vec<_> = parts.iter().zip(&starts).collect();
    let built = on_threads(threads, &pairs, |&(part, start)| {
        let built = build_part(part, start);
        bar.inc(part.range.len());
        built
    })?;
    bar.finish_and_clear();
    join(&parts, &starts, built, quiet)
}

/// `count` parts of `source`, the first of twice the others' size (fewer for a file of fewer
/// bytes than that).
fn cut(source: &Source, count: u64, span: u64) -> Vec<Part> {
    let size = source.size();
    let count = count.clamp(1, size.max(1));
    // Shares of the file: two for the first part, one for each other.
    let shares = count + 1;
    let end = |part: u64| match part {
        0 => 0,
        part => size * (part + 1) / shares,
    };
    (0..count)
        .map(|seq| Part {
            seq,
            url: source.url().to_string(),
            range: ByteRange::new(end(seq), end(seq + 1)),
            size,
            span,
        })
        .collect()
}

/// `each` of `items` on `threads` threads, the results in the items' order; the first error
/// in that order, if any.
fn on_threads<T: Sync, R: Send>(
    threads: usize,
    items: &[T],
    each: impl Fn(&T) -> Result<R> + Sync,
) -> Result<Vec<R>> {
    let next = AtomicUsize::new(0);
    let results: Vec<Mutex<Option<Result<R>>>> = items.iter().map(|_| Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..threads.clamp(1, items.len().max(1)) {
            scope.spawn(|| loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(item) = items.get(index) else {
                    break;
                };
                let result = each(item);
                *results[index].lock().expect("no thread panics holding it") = Some(result);
            });
        }
    });
    results
        .into_iter()
        .map(|result| {
            result
                .into_inner()
                .expect("no thread panics holding it")
                .expect("every item ran")
        })
        .collect()
}
