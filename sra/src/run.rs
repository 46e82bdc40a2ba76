//! Finding a run and counting its spots.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use partition_core::{Error, Position, Result};

/// A run to split: a local `.sra` file or an accession sra-tools resolves itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    /// What `fastq-dump` is given: the `.sra` path, or the accession.
    pub target: String,
    pub accession: String,
    /// Present for local runs.
    pub local: Option<PathBuf>,
}

impl Run {
    /// A path to a `.sra` file, a folder holding exactly one, or an accession (`SRR...`).
    pub fn locate(argument: &str) -> Result<Run> {
        let path = Path::new(argument);
        if path.is_dir() {
            let found: Vec<PathBuf> = fs::read_dir(path)
                .map_err(|e| Error::io(argument, e))?
                .filter_map(|entry| entry.ok().map(|entry| entry.path()))
                .filter(|p| p.extension().is_some_and(|ext| ext == "sra"))
                .collect();
            return match &found[..] {
                [one] => Run::local(one),
                [] => Err(Error::bad_file(argument, "folder holds no .sra file")),
                _ => Err(Error::bad_file(
                    argument,
                    "folder holds several .sra files; name one",
                )),
            };
        }
        if path.exists() {
            return Run::local(path);
        }
        if is_accession(argument) {
            return Ok(Run {
                target: argument.to_string(),
                accession: argument.to_string(),
                local: None,
            });
        }
        Err(Error::NotFound {
            input: argument.to_string(),
        })
    }

    fn local(path: &Path) -> Result<Run> {
        let accession = path
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or_else(|| "run".to_string());
        Ok(Run {
            target: path.display().to_string(),
            accession,
            local: Some(path.to_path_buf()),
        })
    }
}

/// SRR, ERR or DRR followed by digits.
pub fn is_accession(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() > 3
        && matches!(&bytes[..3], b"SRR" | b"ERR" | b"DRR")
        && bytes[3..].iter().all(u8::is_ascii_digit)
}

/// Spots of a local run, from `vdb-dump --info` (offline).
pub fn count_spots(run: &Run) -> Result<u64> {
    let output = Command::new("vdb-dump")
        .arg("--info")
        .arg(&run.target)
        .output()
        .map_err(|e| tool_error("vdb-dump", e))?;
    let text = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(Error::bad_file(
            &run.target,
            format!(
                "vdb-dump --info failed: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            ),
        ));
    }
    parse_vdb_info(&text).ok_or_else(|| {
        Error::bad_file(&run.target, "vdb-dump --info gave no spot count (SEQ line)")
    })
}

/// The `SEQ : 3,896` line of `vdb-dump --info`.
pub fn parse_vdb_info(text: &str) -> Option<u64> {
    text.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        (key.trim() == "SEQ").then(|| value.trim().replace(',', "").parse().ok())?
    })
}

/// The spot count of `accession` in a runinfo CSV from NCBI (columns `Run` and `spots`).
pub fn spots_from_runinfo(csv: &str, csv_name: &str, accession: &str) -> Result<u64> {
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").split(',').collect();
    let column = |name: &str| {
        header
            .iter()
            .position(|field| field.trim() == name)
            .ok_or_else(|| {
                Error::bad_input(
                    csv_name,
                    Position::Line(1),
                    format!("no `{name}` column in the runinfo header"),
                )
            })
    };
    let (run_column, spots_column) = (column("Run")?, column("spots")?);
    for (index, line) in lines.enumerate() {
        let fields: Vec<&str> = line.split(',').collect();
        if fields.get(run_column).map(|f| f.trim()) == Some(accession) {
            let value = fields.get(spots_column).map(|f| f.trim()).unwrap_or("");
            return value.parse().map_err(|_| {
                Error::bad_input(
                    csv_name,
                    Position::LineColumn(index as u64 + 2, spots_column as u64 + 1),
                    format!("spots '{value}' is not a number"),
                )
            });
        }
    }
    Err(Error::bad_file(
        csv_name,
        format!("no row for run {accession}"),
    ))
}

/// The error for an sra-tools program that cannot be run.
pub fn tool_error(program: &str, error: std::io::Error) -> Error {
    if error.kind() == std::io::ErrorKind::NotFound {
        Error::ToolMissing {
            program: program.to_string(),
            hint: "install sra-tools: `apt-get install sra-toolkit` on Debian/Ubuntu, or NCBI's release \
                   from github.com/ncbi/sra-tools"
                .to_string(),
        }
    } else {
        Error::io(program, error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_spot_count_of_vdb_dump_info() {
        let info = "acc    : x.sra\nsize   : 334,297\nSEQ    : 3,896\nSCHEMA : NCBI:SRA\n";
        assert_eq!(parse_vdb_info(info), Some(3896));
        assert_eq!(parse_vdb_info("acc : x\n"), None);
    }

    #[test]
    fn reads_runinfo_csv() {
        let csv = "Run,ReleaseDate,spots,bases\nSRR1,2020,120,9000\nSRR2,2021,7,700\n";
        assert_eq!(spots_from_runinfo(csv, "ri.csv", "SRR2").unwrap(), 7);
        let error = spots_from_runinfo(csv, "ri.csv", "SRR3")
            .unwrap_err()
            .to_string();
        assert_eq!(error, "ri.csv: no row for run SRR3");
        let error = spots_from_runinfo("Run,spots\nSRR1,many\n", "ri.csv", "SRR1")
            .unwrap_err()
            .to_string();
        assert_eq!(
            error,
            "ri.csv: line 2, column 2: spots 'many' is not a number"
        );
    }

    #[test]
    fn recognises_accessions() {
        assert!(is_accession("SRR139146"));
        assert!(is_accession("ERR000001"));
        assert!(!is_accession("SRR"));
        assert!(!is_accession("reads.sra"));
    }
}
