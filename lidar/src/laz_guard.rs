//! Running the LAZ library on data that may be damaged: on threads of its own with deep
//! stacks, a guard against its unbounded recursion, and its panics turned into errors, as
//! bad input must be.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Once, OnceLock};

/// Runs the LAZ library on data that may be corrupt, on `decoder_threads`. It panics on
/// some damage (an index out of bounds in its arithmetic decoder): that is bad input, not a
/// crash, so the panic comes back as an error message, and is not printed as a crash would be.
pub fn contain_panics<T: Send>(decode: impl FnOnce() -> T + Send) -> Result<T, String> {
    static RUNNING: AtomicUsize = AtomicUsize::new(0);
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            // The library decodes on several threads: tell its panics by their source.
            let in_laz = info
                .location()
                .is_some_and(|location| location.file().contains("/laz-"));
            if !(in_laz && RUNNING.load(Ordering::SeqCst) > 0) {
                previous(info);
            }
        }));
    });
    decoder_threads().install(|| {
        RUNNING.fetch_add(1, Ordering::SeqCst);
        let result = catch_unwind(AssertUnwindSafe(decode));
        RUNNING.fetch_sub(1, Ordering::SeqCst);
        result.map_err(|panic| {
            let message = panic
                .downcast_ref::<&str>()
                .map(|text| text.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            format!("the decoder failed on its data ({message})")
        })
    })
}

/// The threads the LAZ library runs on, with stacks deep enough for [`StackGuard`].
fn decoder_threads() -> &'static rayon::ThreadPool {
    static THREADS: OnceLock<rayon::ThreadPool> = OnceLock::new();
    THREADS.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .thread_name(|i| format!("laz-{i}"))
            .stack_size(DECODER_STACK)
            .build()
            .expect("the LAZ decoder threads start")
    })
}

/// Reserved for each decoder thread; committed only as it is used.
const DECODER_STACK: usize = 256 << 20;

/// How deep the decoder may go below where its reader was made. The rest of the stack is
/// the margin for the frames between two reads, which is far more than they take.
const DECODER_DEPTH: usize = DECODER_STACK / 4 * 3;

/// The LAZ library's GPS-time decoder (`laz` 0.13, point formats 1 and 3-5) calls itself
/// for each context switch it reads, and damaged data can read switch after switch, until
/// the data runs out: deep enough, on a chunk of a few KB, to overflow any stack, which
/// aborts the process. The arithmetic decoder reads its data a byte at a time, so this
/// reader, which fails when the stack has grown too deep, ends that descent with an error.
/// Valid data never recurses more than a few levels.
pub(crate) struct StackGuard<R> {
    inner: R,
    base: usize,
}

impl<R> StackGuard<R> {
    pub(crate) fn new(inner: R) -> Self {
        Self {
            inner,
            base: stack_address(),
        }
    }
}

impl<R: std::io::Read> std::io::Read for StackGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        // Stacks grow down on every platform Rust supports here.
        if self.base.saturating_sub(stack_address()) > DECODER_DEPTH {
            return Err(std::io::Error::other(
                "the decoder recursed too deep (damaged GPS times)",
            ));
        }
        self.inner.read(buf)
    }
}

impl<R: std::io::Seek> std::io::Seek for StackGuard<R> {
    fn seek(&mut self, to: std::io::SeekFrom) -> std::io::Result<u64> {
        self.inner.seek(to)
    }
}

#[inline(never)]
fn stack_address() -> usize {
    let here = 0u8;
    std::hint::black_box(&here) as *const u8 as usize
}
