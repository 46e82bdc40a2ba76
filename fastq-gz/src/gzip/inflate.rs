//! A safe wrapper over raw inflate (zlib-rs through its C API), for what flate2 cannot do:
//! stopping at deflate block boundaries, and resuming at a bit offset with a preset window.

use std::ffi::CStr;
use std::mem::MaybeUninit;

use libz_rs_sys::{
    inflate, inflateEnd, inflateInit2_, inflatePrime, inflateReset, inflateSetDictionary, z_stream,
    zlibVersion, Z_BLOCK, Z_BUF_ERROR, Z_NO_FLUSH, Z_OK, Z_STREAM_END,
};

/// The result of one `inflate` call.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Step {
    pub consumed: usize,
    pub produced: usize,
    /// The deflate stream (a gzip member's body) ended.
    pub stream_end: bool,
    /// Stopped right after a deflate block that was not the last one (a place to resume).
    pub at_block_boundary: bool,
    /// Unused bits in the last consumed byte, meaningful at a block boundary.
    pub bits: u8,
}

pub(crate) struct RawInflate {
    // Boxed: zlib's state points back at the stream, which must never move.
    stream: Box<z_stream>,
}

// The stream is only ever used through `&mut self`.
unsafe impl Send for RawInflate {}

impl RawInflate {
    pub(crate) fn new() -> RawInflate {
        let mut stream: Box<MaybeUninit<z_stream>> = Box::new(MaybeUninit::zeroed());
        // SAFETY: a zeroed z_stream is the documented starting state; -15 selects raw deflate.
        let status = unsafe {
            inflateInit2_(
                stream.as_mut_ptr(),
                -15,
                zlibVersion(),
                std::mem::size_of::<z_stream>() as i32,
            )
        };
        assert_eq!(status, Z_OK, "raw inflate initialises");
        // SAFETY: inflateInit2_ initialised it.
        let stream = unsafe { Box::from_raw(Box::into_raw(stream).cast::<z_stream>()) };
        RawInflate { stream }
    }

    /// Starts a new deflate stream (a new gzip member).
    pub(crate) fn reset(&mut self) {
        // SAFETY: the stream was initialised by inflateInit2_.
        let status = unsafe { inflateReset(&mut *self.stream) };
        assert_eq!(status, Z_OK, "inflateReset on a valid stream");
    }

    /// Resumes at a bit offset: feeds the `bits` high bits of the byte before the resume point.
    pub(crate) fn prime(&mut self, bits: u8, byte: u8) -> Result<(), String> {
        if bits == 0 {
            return Ok(());
        }
        // SAFETY: valid stream; at most 7 bits.
        let status = unsafe {
            inflatePrime(
                &mut *self.stream,
                i32::from(bits),
                i32::from(byte >> (8 - bits)),
            )
        };
        (status == Z_OK)
            .then_some(())
            .ok_or_else(|| self.message("inflatePrime failed"))
    }

    pub(crate) fn set_dictionary(&mut self, window: &[u8]) -> Result<(), String> {
        if window.is_empty() {
            return Ok(());
        }
        // SAFETY: valid stream; the slice outlives the call (zlib copies it).
        let status = unsafe {
            inflateSetDictionary(&mut *self.stream, window.as_ptr(), window.len() as u32)
        };
        (status == Z_OK)
            .then_some(())
            .ok_or_else(|| self.message("setting the window failed"))
    }

    /// Inflates from `input` into `output`; with `stop_at_blocks`, returns at each block end.
    pub(crate) fn inflate(
        &mut self,
        input: &[u8],
        output: &mut [u8],
        stop_at_blocks: bool,
    ) -> Result<Step, String> {
        let stream = &mut *self.stream;
        stream.next_in = input.as_ptr();
        stream.avail_in = input.len().min(u32::MAX as usize) as u32;
        stream.next_out = output.as_mut_ptr();
        stream.avail_out = output.len().min(u32::MAX as usize) as u32;
        let (avail_in, avail_out) = (stream.avail_in, stream.avail_out);
        // SAFETY: next_in/next_out point into live slices of the given lengths.
        let status = unsafe { inflate(stream, if stop_at_blocks { Z_BLOCK } else { Z_NO_FLUSH }) };
        let consumed = (avail_in - stream.avail_in) as usize;
        let produced = (avail_out - stream.avail_out) as usize;
        let data_type = stream.data_type;
        stream.next_in = std::ptr::null();
        stream.next_out = std::ptr::null_mut();
        match status {
            Z_OK | Z_BUF_ERROR | Z_STREAM_END => Ok(Step {
                consumed,
                produced,
                stream_end: status == Z_STREAM_END,
                at_block_boundary: data_type & 128 != 0 && data_type & 64 == 0,
                bits: (data_type & 7) as u8,
            }),
            _ => Err(self.message("invalid deflate data")),
        }
    }

    fn message(&self, fallback: &str) -> String {
        if self.stream.msg.is_null() {
            return fallback.to_string();
        }
        // SAFETY: zlib sets msg to a static NUL-terminated string.
        unsafe { CStr::from_ptr(self.stream.msg) }
            .to_string_lossy()
            .into_owned()
    }
}

impl Drop for RawInflate {
    fn drop(&mut self) {
        // SAFETY: the stream was initialised and is ended once.
        unsafe { inflateEnd(&mut *self.stream) };
    }
}
