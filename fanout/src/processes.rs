//! The process groups of running tasks, so that timeouts, `--halt now` and Ctrl-C kill a
//! task with everything it started (`sh -c 'a | b'`, background jobs), not just its shell.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Time between SIGTERM and SIGKILL.
const GRACE: Duration = Duration::from_secs(2);

#[derive(Debug)]
struct Group {
    deadline: Option<Instant>,
    terminated_at: Option<Instant>,
    timed_out: bool,
}

#[derive(Debug, Default)]
pub struct Processes {
    groups: Mutex<HashMap<u32, Group>>,
}

impl Processes {
    /// Tracks the process group led by `pid` (spawned with its own group), with a deadline.
    pub fn register(&self, pid: u32, timeout: Option<Duration>) {
        let group = Group {
            deadline: timeout.map(|timeout| Instant::now() + timeout),
            terminated_at: None,
            timed_out: false,
        };
        self.lock().insert(pid, group);
    }

    /// Stops tracking a group whose leader was reaped; true when it was killed for its deadline.
    pub fn unregister(&self, pid: u32) -> bool {
        self.lock()
            .remove(&pid)
            .is_some_and(|group| group.timed_out)
    }

    /// Terminates every group (SIGTERM, then SIGKILL after a grace period via [`Self::enforce`]).
    pub fn terminate_all(&self) {
        let now = Instant::now();
        for (pid, group) in self.lock().iter_mut() {
            terminate(*pid, group, now);
        }
    }

    /// Terminates one group, as [`Self::terminate_all`] does.
    pub fn terminate(&self, pid: u32) {
        if let Some(group) = self.lock().get_mut(&pid) {
            terminate(pid, group, Instant::now());
        }
    }

    /// Kills groups past their deadline, and those that ignored SIGTERM for the grace period.
    pub fn enforce(&self) {
        let now = Instant::now();
        for (pid, group) in self.lock().iter_mut() {
            match group.terminated_at {
                None if group.deadline.is_some_and(|deadline| now >= deadline) => {
                    group.timed_out = true;
                    signal_group(*pid, libc::SIGTERM);
                    group.terminated_at = Some(now);
                }
                Some(at) if now.duration_since(at) >= GRACE => signal_group(*pid, libc::SIGKILL),
                _ => {}
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u32, Group>> {
        self.groups.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn terminate(pid: u32, group: &mut Group, now: Instant) {
    if group.terminated_at.is_none() {
        signal_group(pid, libc::SIGTERM);
        group.terminated_at = Some(now);
    }
}

fn signal_group(pid: u32, signal: i32) {
    // SAFETY: kill(2) with a negative pid signals a process group; no memory is involved.
    unsafe {
        libc::kill(-(pid as i32), signal);
    }
}
