//! The local backend: the command runs as a child process of the runner.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

use partition_core::output::{join, Output};
use partition_core::{Chunk, Error, Result};

use crate::backend::{Backend, Outcome, STDERR_TAIL};
use crate::processes::Processes;
use crate::task::{environment, substitute, TaskSpec};

pub struct Local<'a> {
    pub task: &'a TaskSpec,
    pub processes: &'a Processes,
    /// Serialises the prefixed stderr lines of concurrent tasks.
    pub stderr_lock: &'a Mutex<()>,
}

impl Backend for Local<'_> {
    fn name(&self) -> String {
        let mut name = [0u8; 256];
        // SAFETY: gethostname writes at most len bytes into the buffer.
        let host = if unsafe { libc::gethostname(name.as_mut_ptr().cast(), name.len()) } == 0 {
            let end = name.iter().position(|&b| b == 0).unwrap_or(name.len());
            String::from_utf8_lossy(&name[..end]).into_owned()
        } else {
            "localhost".to_string()
        };
        format!("local:{host}")
    }

    fn run(&self, chunk: &Chunk, attempt: u32) -> Outcome {
        let started = Instant::now();
        let mut outcome = Outcome::new(chunk, attempt);
        if let Err(error) = self.run_into(chunk, &mut outcome) {
            outcome.error = Some(error.to_string());
        }
        outcome.runtime = started.elapsed();
        outcome
    }
}

/// Runs one attempt on one chunk away from the scheduler (in a Lambda function, a Slurm
/// task), enforcing the timeout on the way.
pub fn run_alone(task: &TaskSpec, chunk: &Chunk, attempt: u32) -> Outcome {
    let processes = Processes::default();
    let stderr_lock = Mutex::new(());
    let local = Local {
        task,
        processes: &processes,
        stderr_lock: &stderr_lock,
    };
    let done = AtomicBool::new(false);
    thread::scope(|scope| {
        scope.spawn(|| {
            while !done.load(Ordering::Relaxed) {
                processes.enforce();
                thread::sleep(Duration::from_millis(20));
            }
        });
        let outcome = local.run(chunk, attempt);
        done.store(true, Ordering::Relaxed);
        outcome
    })
}

impl Local<'_> {
    fn run_into(&self, chunk: &Chunk, outcome: &mut Outcome) -> Result<()> {
        let argv: Vec<String> = self
            .task
            .command
            .iter()
            .map(|arg| substitute(arg, chunk))
            .collect();
        let mut command = Command::new(&argv[0]);
        command
            .args(&argv[1..])
            .envs(environment(chunk))
            .stdin(if self.task.feed_stdin {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Its own process group, so that a timeout or a halt kills everything it started.
            .process_group(0);
        let mut child = command.spawn().map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => Error::ToolMissing {
                program: argv[0].clone(),
                hint: "is it installed and on PATH?".to_string(),
            },
            _ => Error::io(&argv[0], e),
        })?;
        self.processes.register(child.id(), self.task.timeout);

        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("stdout is piped");
        let stderr = child.stderr.take().expect("stderr is piped");
        let (fed, written, logged) = thread::scope(|scope| {
            let feeder = scope.spawn(|| stdin.map(|stdin| feed(chunk, stdin)).unwrap_or(Ok(0)));
            let logger = scope.spawn(|| self.log_stderr(chunk, stderr));
            let written = self.collect_stdout(chunk, stdout, outcome);
            (
                feeder.join().expect("the stdin feeder does not panic"),
                written,
                logger.join().expect("the stderr logger does not panic"),
            )
        });
        let status = child.wait().map_err(|e| Error::io(&argv[0], e));
        outcome.timed_out = self.processes.unregister(child.id());
        let status = status?;
        outcome.exit_code = status.code();
        outcome.signal = status.signal();
        outcome.bytes_in = fed?;
        outcome.stderr_tail = logged?;
        let file = written?;
        // Only a task that succeeded leaves its output under the final name.
        if let Some(file) = file {
            if outcome.succeeded() {
                file.finish()?;
            }
        }
        Ok(())
    }

    /// The command's stdout goes to `DIR/<id><suffix>` (renamed into place on success) or
    /// into the outcome's spool, to be printed whole.
    fn collect_stdout(
        &self,
        chunk: &Chunk,
        mut stdout: impl Read,
        outcome: &mut Outcome,
    ) -> Result<Option<Output>> {
        match &self.task.out_dir {
            Some(dir) => {
                let mut file = Output::create(&join(dir, &self.task.output_name(chunk)))?;
                outcome.bytes_out =
                    io::copy(&mut stdout, &mut file).map_err(|e| Error::io(file.name(), e))?;
                Ok(Some(file))
            }
            None => {
                outcome.bytes_out = outcome
                    .stdout
                    .capture(stdout)
                    .map_err(|e| Error::io("<command stdout>", e))?;
                Ok(None)
            }
        }
    }

    /// The command's stderr goes to `DIR/<id>.err`, or line by line to ours, prefixed with the
    /// id; its tail is returned either way.
    fn log_stderr(&self, chunk: &Chunk, stderr: impl Read) -> Result<String> {
        let mut tail = Tail::default();
        match &self.task.out_dir {
            Some(dir) => {
                let mut file = Output::create(&join(dir, &format!("{}.err", chunk.id)))?;
                let mut stderr = BufReader::new(stderr);
                loop {
                    let read = stderr
                        .fill_buf()
                        .map_err(|e| Error::io("<command stderr>", e))?;
                    if read.is_empty() {
                        break;
                    }
                    file.write_all(read)
                        .map_err(|e| Error::io(file.name(), e))?;
                    tail.push(read);
                    let n = read.len();
                    stderr.consume(n);
                }
                file.finish()?;
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
                        break;
                    }
                    if !line.ends_with(b"\n") {
                        line.push(b'\n');
                    }
                    tail.push(&line);
                    let _guard = self.stderr_lock.lock().unwrap_or_else(|e| e.into_inner());
                    let mut ours = io::stderr().lock();
                    let _ = write!(ours, "[{}] ", chunk.id);
                    let _ = ours.write_all(&line);
                }
            }
        }
        Ok(tail.into_string())
    }
}

/// The last [`STDERR_TAIL`] bytes of a stream, cut at a line start when cut at all.
#[derive(Default)]
struct Tail {
    bytes: Vec<u8>,
    cut: bool,
}

impl Tail {
    fn push(&mut self, bytes: &[u8]) {
        self.bytes.extend_from_slice(bytes);
        if self.bytes.len() > 2 * STDERR_TAIL {
            self.bytes.drain(..self.bytes.len() - STDERR_TAIL);
            self.cut = true;
        }
    }

    fn into_string(mut self) -> String {
        if self.bytes.len() > STDERR_TAIL {
            self.bytes.drain(..self.bytes.len() - STDERR_TAIL);
            self.cut = true;
        }
        let mut start = 0;
        if self.cut {
            if let Some(newline) = self.bytes.iter().position(|&b| b == b'\n') {
                start = newline + 1;
            }
        }
        String::from_utf8_lossy(&self.bytes[start..]).into_owned()
    }
}

/// Streams the chunk into the command's stdin. A command that stops reading early (`head`)
/// closes the pipe; that is its choice, not an error.
fn feed(chunk: &Chunk, stdin: impl Write) -> Result<u64> {
    let mut counted = CountingWriter {
        inner: stdin,
        count: 0,
    };
    match formats::write_chunk(chunk, &mut counted) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tail_keeps_the_last_whole_lines() {
        let mut tail = Tail::default();
        tail.push(b"short\n");
        assert_eq!(tail.into_string(), "short\n");
        let mut tail = Tail::default();
        for i in 0..1000 {
            tail.push(format!("line {i}\n").as_bytes());
        }
        let text = tail.into_string();
        assert!(text.len() <= STDERR_TAIL && text.ends_with("line 999\n"));
        assert!(text.starts_with("line "), "cut at a line start: {text:?}");
    }
}
