//! One run of the command on one chunk.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

use partition_core::{AtomicFile, Chunk, Error, Result};

use crate::materialize;

/// What became of one chunk.
#[derive(Debug)]
pub struct Outcome {
    pub seq: u64,
    pub id: String,
    /// The command's exit status, when it could be started.
    pub status: Option<ExitStatus>,
    /// Why the task failed besides its exit status (the chunk could not be rebuilt...).
    pub error: Option<String>,
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub runtime: Duration,
    /// The command's stdout, when it is not written to a file.
    pub stdout: Vec<u8>,
}

impl Outcome {
    pub fn succeeded(&self) -> bool {
        self.error.is_none() && self.status.is_some_and(|status| status.success())
    }

    /// `exit 0`, `exit 3`, `signal 9`, or the error.
    pub fn describe(&self) -> String {
        use std::os::unix::process::ExitStatusExt;
        if let Some(error) = &self.error {
            return error.clone();
        }
        match self.status {
            Some(status) => match (status.code(), status.signal()) {
                (Some(code), _) => format!("exit {code}"),
                (None, Some(signal)) => format!("signal {signal}"),
                (None, None) => "ended".to_string(),
            },
            None => "not started".to_string(),
        }
    }
}

/// How to run the command on every chunk.
pub struct Task<'a> {
    pub command: &'a [String],
    pub out_dir: Option<&'a Path>,
    pub suffix: &'a str,
    pub feed_stdin: bool,
    /// Where prefixed stderr lines go when there is no `out_dir`.
    pub stderr_lock: &'a Mutex<()>,
}

impl Task<'_> {
    /// Replaces `{id}`, `{seq}`, `{total}` and `{kind}` in one argument.
    pub fn substitute(argument: &str, chunk: &Chunk) -> String {
        argument
            .replace("{id}", &chunk.id)
            .replace("{seq}", &chunk.seq.to_string())
            .replace("{total}", &chunk.total.to_string())
            .replace("{kind}", chunk.kind.name())
    }

    pub fn run(&self, chunk: &Chunk) -> Outcome {
        let started = Instant::now();
        let mut outcome = Outcome {
            seq: chunk.seq,
            id: chunk.id.clone(),
            status: None,
            error: None,
            bytes_in: 0,
            bytes_out: 0,
            runtime: Duration::ZERO,
            stdout: Vec::new(),
        };
        if let Err(error) = self.run_into(chunk, &mut outcome) {
            outcome.error = Some(error.to_string());
        }
        outcome.runtime = started.elapsed();
        outcome
    }

    fn run_into(&self, chunk: &Chunk, outcome: &mut Outcome) -> Result<()> {
        let argv: Vec<String> = self
            .command
            .iter()
            .map(|arg| Self::substitute(arg, chunk))
            .collect();
        let mut child = Command::new(&argv[0])
            .args(&argv[1..])
            .env("CHUNK_ID", &chunk.id)
            .env("CHUNK_SEQ", chunk.seq.to_string())
            .env("CHUNK_TOTAL", chunk.total.to_string())
            .env("CHUNK_JSON", chunk.to_json())
            .stdin(if self.feed_stdin {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| match e.kind() {
                io::ErrorKind::NotFound => Error::ToolMissing {
                    program: argv[0].clone(),
                    hint: "is it installed and on PATH?".to_string(),
                },
                _ => Error::io(&argv[0], e),
            })?;

        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("stdout is piped");
        let stderr = child.stderr.take().expect("stderr is piped");
        let (fed, written, logged) = thread::scope(|scope| {
            let feeder = scope.spawn(|| stdin.map(|stdin| feed(chunk, stdin)).unwrap_or(Ok(0)));
            let logger = scope.spawn(|| self.log_stderr(chunk, stderr));
            let written = self.collect_stdout(chunk, stdout, &mut outcome.stdout);
            (
                feeder.join().expect("the stdin feeder does not panic"),
                written,
                logger.join().expect("the stderr logger does not panic"),
            )
        });
        let status = child.wait().map_err(|e| Error::io(&argv[0], e))?;
        outcome.status = Some(status);
        outcome.bytes_in = fed?;
        logged?;
        let (bytes_out, file) = written?;
        outcome.bytes_out = bytes_out;
        // Only a task that succeeded leaves its output under the final name.
        if let Some(file) = file {
            if status.success() {
                file.commit()?;
            }
        }
        Ok(())
    }

    /// The command's stdout goes to `DIR/<id><suffix>` (renamed into place on success) or
    /// into memory, to be printed whole.
    fn collect_stdout(
        &self,
        chunk: &Chunk,
        mut stdout: impl Read,
        memory: &mut Vec<u8>,
    ) -> Result<(u64, Option<AtomicFile>)> {
        match self.out_dir {
            Some(dir) => {
                let mut file =
                    AtomicFile::create(dir.join(format!("{}{}", chunk.id, self.suffix)))?;
                let n = io::copy(&mut stdout, &mut file)
                    .map_err(|e| Error::io(file.path().display(), e))?;
                Ok((n, Some(file)))
            }
            None => {
                let n = stdout
                    .read_to_end(memory)
                    .map_err(|e| Error::io("<command stdout>", e))?;
                Ok((n as u64, None))
            }
        }
    }

    /// The command's stderr goes to `DIR/<id>.err`, or line by line to ours, prefixed with the id.
    fn log_stderr(&self, chunk: &Chunk, stderr: impl Read) -> Result<()> {
        match self.out_dir {
            Some(dir) => {
                let mut file = AtomicFile::create(dir.join(format!("{}.err", chunk.id)))?;
                io::copy(&mut BufReader::new(stderr), &mut file)
                    .map_err(|e| Error::io(file.path().display(), e))?;
                file.commit()
            }
            None => {
                let mut line = Vec::new();
                let mut reader = BufReader::new(stderr);
                loop {
                    line.clear();
                    if reader
                        .read_until(b'\n', &mut line)
                        .map_err(|e| Error::io("<command stderr>", e))?
                        == 0
                    {
                        return Ok(());
                    }
                    if !line.ends_with(b"\n") {
                        line.push(b'\n');
                    }
                    let _guard = self.stderr_lock.lock().unwrap_or_else(|e| e.into_inner());
                    let mut ours = io::stderr().lock();
                    let _ = write!(ours, "[{}] ", chunk.id);
                    let _ = ours.write_all(&line);
                }
            }
        }
    }
}

/// Streams the chunk into the command's stdin. A command that stops reading early (`head`)
/// closes the pipe; that is its choice, not an error.
fn feed(chunk: &Chunk, stdin: impl Write) -> Result<u64> {
    let mut counted = CountingWriter {
        inner: stdin,
        count: 0,
    };
    match materialize::write_chunk(chunk, &mut counted) {
        Err(error) if error.is_broken_pipe() => Ok(counted.count),
        Err(error) => Err(error),
        Ok(()) => match counted.flush() {
            Err(error) if error.kind() != io::ErrorKind::BrokenPipe => {
                Err(Error::io("<command stdin>", error))
            }
            _ => Ok(counted.count),
        },
    }
}

struct CountingWriter<W> {
    inner: W,
    count: u64,
}

impl<W: Write> Write for CountingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.count += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
