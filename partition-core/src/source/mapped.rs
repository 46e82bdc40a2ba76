//! Local ranges read in place: mapped into memory rather than copied.
//!
//! A file that another program truncates while a range of it is mapped makes reading the
//! lost pages raise SIGBUS, which would end the process without a word. While ranges are
//! mapped, a handler turns that into the error any short read gives: it names the file and
//! exits with the bad-input code. Faults elsewhere go to the handler that was there before.

use std::fs::File;
use std::io;
use std::ops::Deref;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};
use std::sync::{Arc, Once, OnceLock};

use crate::error::exit;
use crate::ByteRange;

/// A mapped range of a local file; unmapped when dropped.
pub struct Mapped {
    data: *const u8,
    len: usize,
    map: *mut libc::c_void,
    map_len: usize,
    slot: Option<&'static Slot>,
    /// Keeps the name the slot points to alive.
    _name: Arc<str>,
}

// SAFETY: the mapping is read only and owned by this value alone.
unsafe impl Send for Mapped {}
unsafe impl Sync for Mapped {}

impl Mapped {
    /// Maps `range` of `file` (named `name`); `None` when the file cannot be mapped or no
    /// guard slot is free (the caller reads the range instead).
    pub(super) fn new(
        file: &File,
        name: &Arc<str>,
        range: ByteRange,
    ) -> io::Result<Option<Mapped>> {
        let len = usize::try_from(range.len()).map_err(io::Error::other)?;
        if len == 0 {
            return Ok(Some(Mapped {
                data: std::ptr::NonNull::dangling().as_ptr(),
                len: 0,
                map: std::ptr::null_mut(),
                map_len: 0,
                slot: None,
                _name: Arc::clone(name),
            }));
        }
        install_handler();
        // SAFETY: sysconf has no preconditions.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as u64;
        let start = range.start / page * page;
        let map_len = usize::try_from(range.end - start).map_err(io::Error::other)?;
        let offset = libc::off_t::try_from(start).map_err(io::Error::other)?;
        // SAFETY: a new private, read-only mapping of an open file; nothing else refers to
        // the address range the kernel picks.
        let map = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                map_len,
                libc::PROT_READ,
                libc::MAP_PRIVATE,
                file.as_raw_fd(),
                offset,
            )
        };
        // Files that cannot be mapped (pipes, some network file systems) are read instead.
        if map == libc::MAP_FAILED {
            return Ok(None);
        }
        let mut mapped = Mapped {
            // SAFETY: `range.start - start` is less than `map_len`.
            data: unsafe { map.cast::<u8>().add((range.start - start) as usize) },
            len,
            map,
            map_len,
            slot: None,
            _name: Arc::clone(name),
        };
        mapped.slot = Slot::claim(map as usize, map as usize + map_len, name);
        Ok(mapped.slot.is_some().then_some(mapped))
    }
}

impl Deref for Mapped {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        // SAFETY: `data` points at `len` mapped bytes, valid until drop.
        unsafe { std::slice::from_raw_parts(self.data, self.len) }
    }
}

impl Drop for Mapped {
    fn drop(&mut self) {
        if let Some(slot) = self.slot {
            slot.release();
        }
        if self.map_len > 0 {
            // SAFETY: the mapping made in `new`, no longer borrowed.
            unsafe { libc::munmap(self.map, self.map_len) };
        }
    }
}

/// A mapped range the handler knows: its addresses and its file's name.
struct Slot {
    start: AtomicUsize,
    end: AtomicUsize,
    name: AtomicPtr<u8>,
    name_len: AtomicUsize,
}

/// Ranges mapped at once at most (more are read instead).
const SLOTS: usize = 256;

#[allow(clippy::declare_interior_mutable_const)]
const FREE: Slot = Slot {
    start: AtomicUsize::new(0),
    end: AtomicUsize::new(0),
    name: AtomicPtr::new(std::ptr::null_mut()),
    name_len: AtomicUsize::new(0),
};

static GUARDED: [Slot; SLOTS] = [FREE; SLOTS];

impl Slot {
    fn claim(start: usize, end: usize, name: &Arc<str>) -> Option<&'static Slot> {
        let slot = GUARDED.iter().find(|slot| {
            slot.start
                .compare_exchange(0, start, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok()
        })?;
        slot.name.store(name.as_ptr().cast_mut(), Ordering::SeqCst);
        slot.name_len.store(name.len(), Ordering::SeqCst);
        slot.end.store(end, Ordering::SeqCst);
        Some(slot)
    }

    fn release(&self) {
        self.end.store(0, Ordering::SeqCst);
        self.start.store(0, Ordering::SeqCst);
    }
}

/// The handler that was there before ours, for faults that are not ours.
static PREVIOUS: OnceLock<libc::sigaction> = OnceLock::new();

/// The program's name, for the message.
static PROGRAM: OnceLock<String> = OnceLock::new();

fn install_handler() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let program = std::env::args_os()
            .next()
            .map(std::path::PathBuf::from)
            .and_then(|path| path.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_default();
        let _ = PROGRAM.set(program);
        // SAFETY: sigaction with a handler that only reads atomics, writes to stderr and
        // exits, or puts the previous action back.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_bus as extern "C" fn(_, _, _) as usize;
            action.sa_flags = libc::SA_SIGINFO;
            libc::sigemptyset(&mut action.sa_mask);
            let mut previous: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(libc::SIGBUS, &action, &mut previous) == 0 {
                let _ = PREVIOUS.set(previous);
            }
        }
    });
}

extern "C" fn on_bus(_: libc::c_int, info: *mut libc::siginfo_t, _: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo to an SA_SIGINFO handler.
    let address = unsafe { (*info).si_addr() } as usize;
    for slot in &GUARDED {
        let (start, end) = (
            slot.start.load(Ordering::SeqCst),
            slot.end.load(Ordering::SeqCst),
        );
        if start != 0 && start <= address && address < end {
            let name = slot.name.load(Ordering::SeqCst);
            let name_len = slot.name_len.load(Ordering::SeqCst);
            let program = PROGRAM.get().map_or("", String::as_str);
            let say = |bytes: &[u8]| {
                // SAFETY: write(2) is async-signal-safe; the bytes are valid.
                unsafe { libc::write(2, bytes.as_ptr().cast(), bytes.len()) };
            };
            say(program.as_bytes());
            say(b": ");
            // SAFETY: the slot's name lives as long as its mapping, which is being read.
            say(unsafe { std::slice::from_raw_parts(name, name_len) });
            say(b": the file shrank while it was being read (changed by another program?)\n");
            // SAFETY: _exit is async-signal-safe.
            unsafe { libc::_exit(i32::from(exit::BAD_INPUT)) };
        }
    }
    // Not a mapped range: the previous action takes the fault when it happens again.
    if let Some(previous) = PREVIOUS.get() {
        // SAFETY: restores the action sigaction gave back.
        unsafe { libc::sigaction(libc::SIGBUS, previous, std::ptr::null_mut()) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn maps_ranges_at_any_offset() {
        let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(&data).unwrap();
        let name: Arc<str> = Arc::from("test.bin");
        for (start, end) in [(0, 100_000), (4095, 4097), (12_345, 99_999), (7, 7)] {
            let mapped = Mapped::new(&file, &name, ByteRange::new(start, end))
                .unwrap()
                .unwrap();
            assert_eq!(&*mapped, &data[start as usize..end as usize]);
        }
        assert!(GUARDED
            .iter()
            .all(|slot| slot.start.load(Ordering::SeqCst) == 0));
    }

    #[test]
    fn a_file_truncated_while_mapped_is_a_named_error() {
        if std::env::var_os("CHUNKWISE_TRUNCATE_MAPPED").is_some() {
            let mut file = tempfile::tempfile().unwrap();
            file.write_all(&[7; 3 * 4096]).unwrap();
            let name: Arc<str> = Arc::from("shrinking.las");
            let mapped = Mapped::new(&file, &name, ByteRange::new(0, 3 * 4096))
                .unwrap()
                .unwrap();
            file.set_len(0).unwrap();
            std::hint::black_box(mapped[2 * 4096]);
            unreachable!("reading a truncated page raises SIGBUS");
        }
        let child = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "source::mapped::tests::a_file_truncated_while_mapped_is_a_named_error",
            ])
            .env("CHUNKWISE_TRUNCATE_MAPPED", "1")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&child.stderr);
        assert_eq!(child.status.code(), Some(65), "{stderr}");
        assert!(
            stderr.contains(": shrinking.las: the file shrank while it was being read"),
            "{stderr}"
        );
    }
}
