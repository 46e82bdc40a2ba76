//! The local backend: the command runs as a child process of the runner.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

use partition_core::output::{exists, join, Output};
use partition_core::{Chunk, Error, Result};

use crate::backend::{Attempt, Backend, Outcome, Race, STDERR_TAIL};
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

    fn run(&self, chunk: &Chunk, attempt: &Attempt) -> Outcome {
        let started = Instant::now();
        let mut outcome = Outcome::new(chunk, attempt.number);
        if let Err(error) = self.run_into(chunk, attempt, &mut outcome) {
            outcome.error = Some(error.to_string());
        }
        outcome.runtime = started.elapsed();
        outcome
    }
}

/// Runs one attempt on one chunk away from the scheduler (in a Lambda function, a Slurm
/// task), enforcing the timeout on the way. With `task.exclusive` the attempt stops as soon
/// as its output appears (another attempt of the chunk, running elsewhere, won).
pub fn run_alone(task: &TaskSpec, chunk: &Chunk, attempt: u32) -> Outcome {
    let processes = Processes::default();
    let stderr_lock = Mutex::new(());
    let local = Local {
        task,
        processes: &processes,
        stderr_lock: &stderr_lock,
    };
    let race = Race::default();
    let done = AtomicBool::new(false);
    let output = task
        .out_dir
        .as_deref()
        .filter(|_| task.exclusive)
        .map(|dir| join(dir, &task.output_name(chunk)));
    thread::scope(|scope| {
        scope.spawn(|| {
            let mut looked = Instant::now();
            while !done.load(Ordering::Relaxed) {
                processes.enforce();
                thread::sleep(Duration::from_millis(20));
                if let Some(output) = &output {
                    if looked.elapsed() >= WATCH && !done.load(Ordering::Relaxed) {
                        looked = Instant::now();
                        // Another attempt's win: claimed by attempt 0, which stops this one.
                        if exists(output).unwrap_or(false) && race.winner().is_none() {
                            if let Some(groups) = race.claim(0) {
                                groups
                                    .into_iter()
                                    .for_each(|group| processes.terminate(group));
                            }
                        }
                    }
                }
            }
        });
        let outcome = local.run(
            chunk,
            &Attempt {
                number: attempt,
                race: &race,
            },
        );
        done.store(true, Ordering::Relaxed);
        outcome
    })
}

/// How often an exclusive attempt running away from the scheduler looks whether another
/// attempt has published the chunk's output (one HEAD request on S3).
const WATCH: Duration = Duration::from_secs(1);

impl Local<'_> {
    fn run_into(&self, chunk: &Chunk, attempt: &Attempt, outcome: &mut Outcome) -> Result<()> {
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
        if !attempt.race.enter(attempt.number, child.id()) {
            self.processes.terminate(child.id());
        }

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
        attempt.race.leave(attempt.number);
        outcome.timed_out = self.processes.unregister(child.id());
        let status = status?;
        outcome.exit_code = status.code();
        outcome.signal = status.signal();
        outcome.bytes_in = fed?;
        let (tail, log) = logged?;
        outcome.stderr_tail = tail;
        let file = written?;
        // Only the attempt that succeeded first leaves its output under the final name; the
        // others (stopped when it won, or finishing just after it) leave nothing.
        if outcome.succeeded() {
            match attempt.race.claim(attempt.number) {
                Some(others) => others
                    .into_iter()
                    .for_each(|group| self.processes.terminate(group)),
                None => outcome.lost = true,
            }
        } else if attempt
            .race
            .winner()
            .is_some_and(|winner| winner != attempt.number)
        {
            outcome.lost = true;
        }
        if let Some(file) = file.filter(|_| outcome.succeeded()) {
            if self.task.exclusive {
                outcome.lost = !file.finish_new()?;
            } else {
                file.finish()?;
            }
        }
        // A lost attempt's stderr would replace the winner's.
        if let Some(log) = log.filter(|_| !outcome.lost) {
            log.finish()?;
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

    /// The command's stderr goes to `DIR/<id>.err` (returned unfinished), or line by line to
    /// ours, prefixed with the id; its tail is returned either way.
    fn log_stderr(&self, chunk: &Chunk, stderr: impl Read) -> Result<(String, Option<Output>)> {
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
                return Ok((tail.into_string(), Some(file)));
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
        Ok((tail.into_string(), None))
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
