//! Raw inflate with ISA-L through a small C shim (`isal.c`, built by `build.rs`), which stops
//! at a block end by marking the block being decoded as the stream's last.

use std::ffi::c_void;

use super::super::WINDOW;
use super::{Step, Stop};

#[repr(C)]
#[derive(Default)]
struct RawStep {
    consumed: u32,
    produced: u32,
    status: i32,
    stop: i32,
    pending_bits: u32,
}

extern "C" {
    fn chunkwise_isal_new() -> *mut c_void;
    fn chunkwise_isal_free(inflate: *mut c_void);
    fn chunkwise_isal_start(
        inflate: *mut c_void,
        window: *const u8,
        window_length: u32,
        bits: u32,
        value: u64,
    ) -> i32;
    fn chunkwise_isal_continue(inflate: *mut c_void, window: *const u8, window_length: u32) -> i32;
    fn chunkwise_isal_inflate(
        inflate: *mut c_void,
        input: *const u8,
        input_length: u32,
        output: *mut u8,
        output_length: u32,
        stop_after: i64,
        step: *mut RawStep,
    );
}

pub(crate) struct RawInflate {
    state: *mut c_void,
    /// The last output, up to a window of it: the dictionary to go on with after a stop.
    history: Box<[u8; 2 * WINDOW]>,
    history_length: usize,
}

// The state is owned and only ever used through `&mut self`.
unsafe impl Send for RawInflate {}

impl RawInflate {
    pub(crate) fn new() -> RawInflate {
        // SAFETY: returns an initialised state or null.
        let state = unsafe { chunkwise_isal_new() };
        assert!(!state.is_null(), "allocating the ISA-L inflate state");
        RawInflate {
            state,
            history: Box::new([0; 2 * WINDOW]),
            history_length: 0,
        }
    }

    /// Starts a new deflate stream (a new gzip member).
    pub(crate) fn reset(&mut self) {
        self.history_length = 0;
        // SAFETY: a valid state; no window.
        let status = unsafe { chunkwise_isal_start(self.state, std::ptr::null(), 0, 0, 0) };
        assert_eq!(status, 0, "resetting ISA-L inflate");
    }

    /// Resumes inside a member at a block boundary: first the `bits` high bits of `byte`
    /// (none when `bits` is 0), with `window` as the output before.
    pub(crate) fn resume(&mut self, bits: u8, byte: u8, window: &[u8]) -> Result<(), String> {
        let value = if bits > 0 { byte >> (8 - bits) } else { 0 };
        self.history_length = 0;
        self.remember(window);
        // SAFETY: a valid state; ISA-L copies the window.
        let status = unsafe {
            chunkwise_isal_start(
                self.state,
                window.as_ptr(),
                window.len() as u32,
                u32::from(bits),
                u64::from(value),
            )
        };
        (status == 0)
            .then_some(())
            .ok_or_else(|| "setting the window failed".to_string())
    }

    /// Inflates from `input` into `output`. With `stop_after`, stops at the first block end
    /// after that much output.
    pub(crate) fn inflate(
        &mut self,
        input: &[u8],
        output: &mut [u8],
        stop_after: Option<usize>,
    ) -> Result<Step, String> {
        let mut raw = RawStep::default();
        // SAFETY: the pointers and lengths describe live slices; the shim does not keep them.
        unsafe {
            chunkwise_isal_inflate(
                self.state,
                input.as_ptr(),
                input.len().min(u32::MAX as usize) as u32,
                output.as_mut_ptr(),
                output.len().min(u32::MAX as usize) as u32,
                stop_after.map_or(-1, |n| n as i64),
                &mut raw,
            )
        };
        if raw.status < 0 {
            return Err(message(raw.status).to_string());
        }
        self.remember(&output[..raw.produced as usize]);
        let stop = match raw.stop {
            0 => Stop::None,
            1 => Stop::BlockEnd,
            _ => Stop::StreamEnd,
        };
        if stop == Stop::BlockEnd {
            let window =
                &self.history[self.history_length.saturating_sub(WINDOW)..self.history_length];
            // SAFETY: a valid state; ISA-L copies the window.
            let status = unsafe {
                chunkwise_isal_continue(self.state, window.as_ptr(), window.len() as u32)
            };
            if status != 0 {
                return Err("setting the window failed".to_string());
            }
        }
        Ok(Step {
            consumed: raw.consumed as usize,
            produced: raw.produced as usize,
            stop,
            pending_bits: raw.pending_bits,
        })
    }

    /// Keeps the last window of output (a linear buffer: one copy per call, one shift per
    /// window of output).
    fn remember(&mut self, output: &[u8]) {
        let output = &output[output.len().saturating_sub(WINDOW)..];
        if self.history_length + output.len() > self.history.len() {
            let keep = WINDOW - output.len();
            self.history
                .copy_within(self.history_length - keep..self.history_length, 0);
            self.history_length = keep;
        }
        self.history[self.history_length..self.history_length + output.len()]
            .copy_from_slice(output);
        self.history_length += output.len();
    }
}

fn message(status: i32) -> &'static str {
    match status {
        -1 => "invalid deflate block",
        -2 => "invalid deflate symbol",
        -3 => "invalid deflate distance (too far back)",
        _ => "invalid deflate data",
    }
}

impl Drop for RawInflate {
    fn drop(&mut self) {
        // SAFETY: allocated by chunkwise_isal_new, freed once.
        unsafe { chunkwise_isal_free(self.state) };
    }
}
