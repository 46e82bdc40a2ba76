//! What each array task runs: the chunk's command, its report left in the shared folder for
//! the runner to read.

use std::fs;
use std::path::{Path, PathBuf};

use partition_core::output::create_dir;
use partition_core::{AtomicFile, Error, ManifestReader, Result};

use crate::backend::Report;
use crate::local::run_alone;
use crate::task::TaskSpec;

/// What each array task runs (`fanout worker`): the chunk at position `seq` of the manifest,
/// its outputs in `out_dir`, its report in `out_dir/.fanout-slurm/results/`.
pub struct Task {
    pub manifest: String,
    pub seq: u64,
    pub attempt: u32,
    /// What the run executes; its `out_dir` is the shared folder.
    pub spec: TaskSpec,
}

/// Runs one array task; the result file records how the command went, so the task itself
/// fails only when it cannot run or record at all.
pub fn work(task: Task) -> Result<()> {
    let chunks = ManifestReader::open(&task.manifest)?.read_all()?;
    let chunk = chunks
        .iter()
        .find(|chunk| chunk.seq == task.seq)
        .ok_or_else(|| {
            Error::Usage(format!("{}: no chunk with seq {}", task.manifest, task.seq))
        })?;
    let Some(out_dir) = &task.spec.out_dir else {
        return Err(Error::Usage(
            "a Slurm task needs the shared output folder".to_string(),
        ));
    };
    let work = Path::new(out_dir).join(".fanout-slurm");
    create_dir(&work.join("results"))?;
    let outcome = run_alone(&task.spec, chunk, task.attempt);
    let report = serde_json::to_vec(&Report::from_outcome(&outcome))
        .map_err(|e| Error::io("the task report", std::io::Error::other(e)))?;
    let mut file = AtomicFile::create(result_path(&work, task.seq, task.attempt))?;
    std::io::Write::write_all(&mut file, &report)
        .map_err(|e| Error::io(file.path().display(), e))?;
    file.commit()?;
    if let Some(error) = &outcome.error {
        eprintln!("fanout worker: {}: {error}", chunk.id);
    }
    Ok(())
}

/// Where the task of chunk `seq` leaves its report of attempt `attempt`.
pub(super) fn result_path(work: &Path, seq: u64, attempt: u32) -> PathBuf {
    work.join("results").join(format!("{seq}.{attempt}.json"))
}

/// That report, if the task left one (a task killed before it wrote its report left none).
pub(super) fn read_report(work: &Path, seq: u64, attempt: u32) -> Option<Report> {
    let bytes = fs::read(result_path(work, seq, attempt)).ok()?;
    serde_json::from_slice(&bytes).ok()
}
