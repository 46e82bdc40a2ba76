//! Helpers for the cross-crate tests in `tests/`: the workspace's binaries, the shared
//! sample data beside the repository, and peer tools.
//!
//! Tests that need a peer tool or `../shared/data` are `#[ignore]`d so that `cargo test
//! --workspace` stays self-contained; `.ci/run` installs the peers and runs them with
//! `--ignored`.

pub mod fault_proxy;
pub mod s3;

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the workspace")
        .to_path_buf()
}

/// A file of the shared sample data (`../shared/data/...`), which must exist.
pub fn shared_data(relative: &str) -> PathBuf {
    let path = workspace_root().join("../shared/data").join(relative);
    assert!(
        path.exists(),
        "{} is missing: the shared sample data sits beside the repository",
        path.display()
    );
    path
}

/// The path of one of the workspace's binaries, built on first use (in the tests' profile).
pub fn bin(name: &str) -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    let dir = BUILT.get_or_init(|| {
        // target/debug/deps/<test> -> target/debug
        let dir = std::env::current_exe()
            .unwrap()
            .parent()
            .unwrap()
            .parent()
            .unwrap()
            .to_path_buf();
        let mut build = Command::new(env!("CARGO"));
        build.args(["build", "--quiet", "--bins", "--workspace"]);
        if dir.ends_with("release") {
            build.arg("--release");
        }
        let status = build
            .current_dir(workspace_root())
            .env("CARGO_TARGET_DIR", dir.parent().unwrap())
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building the binaries failed");
        dir
    });
    dir.join(name)
}

/// The Python with the peer libraries (rasterio, rio-cogeo, laspy): `CHUNKWISE_PYTHON`, or the
/// venv `.ci/run` makes.
pub fn python() -> PathBuf {
    std::env::var_os("CHUNKWISE_PYTHON").map_or_else(
        || PathBuf::from("/opt/chunkwise-venv/bin/python"),
        PathBuf::from,
    )
}

/// The test COGs of `tests/peers/make_cogs.py`, made by GDAL in a fresh directory.
pub fn make_cogs() -> tempfile::TempDir {
    require_tool("gdal_translate");
    let dir = tempfile::tempdir().unwrap();
    run_ok(
        Command::new(python())
            .arg(workspace_root().join("tests/peers/make_cogs.py"))
            .arg(dir.path()),
    );
    dir
}

/// Fails the test with a clear message when a peer tool is not installed.
pub fn require_tool(program: &str) {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .is_ok_and(|output| output.status.success());
    assert!(
        found,
        "{program} is not installed (.ci/run installs the peer tools)"
    );
}

/// Runs a command, panicking with its stderr unless it succeeds; returns stdout.
pub fn run_ok(command: &mut Command) -> Vec<u8> {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("{command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// Runs a command that must fail; returns its output.
pub fn run_failing(command: &mut Command) -> Output {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("{command:?}: {e}"));
    assert!(
        !output.status.success(),
        "{command:?} succeeded but should have failed"
    );
    output
}

/// The joblog column of an attempt's result (`ok`, or what went wrong), and of its billed
/// seconds and cost (Lambda).
pub const RESULT: usize = 12;
pub const BILLED: usize = 10;
pub const COST: usize = 11;

/// Rows of a fanout joblog as field lists, without the header.
pub fn joblog_rows(path: &Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .skip(1)
        .map(|line| line.split('\t').map(String::from).collect())
        .collect()
}

/// Parses a manifest from a tool's stdout.
pub fn manifest(stdout: &[u8]) -> Vec<partition_core::Chunk> {
    partition_core::ManifestReader::new(stdout, "<stdout>")
        .read_all()
        .expect("a valid manifest")
}

/// A minimal HTTP/1.1 file server on 127.0.0.1 for tests: HEAD and GET of files in a folder,
/// single `Range: bytes=a-b` requests answered 206 (or ignored, to test servers that do that).
pub struct RangeServer {
    pub port: u16,
    /// For HTTPS: the PEM file of the certificate authority that signed the server's
    /// certificate, for clients to trust (`SSL_CERT_FILE`).
    authority: Option<tempfile::TempPath>,
}

impl RangeServer {
    pub fn start(root: &Path, honour_ranges: bool) -> RangeServer {
        let (listener, port) = listen();
        let root = root.to_path_buf();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let root = root.clone();
                std::thread::spawn(move || serve_files(stream, &root, honour_ranges));
            }
        });
        RangeServer {
            port,
            authority: None,
        }
    }

    /// The same server over TLS, with a certificate for 127.0.0.1 signed by a certificate
    /// authority made for it.
    pub fn start_https(root: &Path) -> RangeServer {
        use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
        let authority_key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let authority = params.self_signed(&authority_key).unwrap();
        let server_key = KeyPair::generate().unwrap();
        let server = CertificateParams::new(vec!["127.0.0.1".to_string()])
            .unwrap()
            .signed_by(&server_key, &authority, &authority_key)
            .unwrap();
        let config = std::sync::Arc::new(
            rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![server.der().clone()],
                rustls::pki_types::PrivateKeyDer::Pkcs8(server_key.serialize_der().into()),
            )
            .unwrap(),
        );
        let mut pem = tempfile::NamedTempFile::new().unwrap();
        pem.write_all(authority.pem().as_bytes()).unwrap();

        let (listener, port) = listen();
        let root = root.to_path_buf();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (root, config) = (root.clone(), config.clone());
                std::thread::spawn(move || {
                    let connection = rustls::ServerConnection::new(config).unwrap();
                    serve_files(rustls::StreamOwned::new(connection, stream), &root, true)
                });
            }
        });
        RangeServer {
            port,
            authority: Some(pem.into_temp_path()),
        }
    }

    pub fn url(&self, name: &str) -> String {
        let scheme = if self.authority.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://127.0.0.1:{}/{name}", self.port)
    }

    /// The certificate authority's PEM file (HTTPS servers only).
    pub fn authority(&self) -> &Path {
        self.authority.as_deref().expect("an HTTPS server")
    }
}

fn listen() -> (std::net::TcpListener, u16) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    (listener, port)
}

/// Answers the requests of one connection until the client closes it or asks to.
fn serve_files(stream: impl Read + Write, root: &Path, honour_ranges: bool) {
    let mut connection = BufReader::new(stream);
    loop {
        let mut request = String::new();
        if connection.read_line(&mut request).unwrap_or(0) == 0 {
            return;
        }
        let mut range = None;
        let mut close = false;
        loop {
            let mut header = String::new();
            if connection.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
                break;
            }
            close |= header.eq_ignore_ascii_case("connection: close\r\n");
            if let Some(value) = header.to_ascii_lowercase().strip_prefix("range: bytes=") {
                let (a, b) = value.trim().split_once('-').unwrap();
                range = Some((a.parse::<u64>().unwrap(), b.parse::<u64>().unwrap()));
            }
        }
        let mut parts = request.split_whitespace();
        let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
        let writer = connection.get_mut();
        let Ok(body) = fs::read(root.join(path.trim_start_matches('/'))) else {
            let _ = writer.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
            let _ = writer.flush();
            continue;
        };
        let total = body.len() as u64;
        let (status, slice, extra) = match range.filter(|_| honour_ranges) {
            Some((a, b)) => {
                let b = b.min(total - 1);
                (
                    "206 Partial Content",
                    &body[a as usize..=b as usize],
                    format!("Content-Range: bytes {a}-{b}/{total}\r\n"),
                )
            }
            None => ("200 OK", &body[..], String::new()),
        };
        let head = format!(
            "HTTP/1.1 {status}\r\nContent-Length: {}\r\n{extra}Accept-Ranges: bytes\r\n\r\n",
            slice.len()
        );
        let _ = writer.write_all(head.as_bytes());
        if method != "HEAD" {
            let _ = writer.write_all(slice);
        }
        let _ = writer.flush();
        if close {
            return;
        }
    }
}

/// The read tokens of a `samtools mpileup` BASES column, one per read: read-start (`^` and
/// its MAPQ mark), end (`$`) and indels included.
pub fn pileup_tokens(bases: &str) -> Vec<String> {
    let bytes = bases.as_bytes();
    let mut tokens: Vec<String> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'^' => {
                tokens.push(String::from_utf8_lossy(&bytes[i..i + 3]).into_owned());
                i += 3;
            }
            b'$' => {
                tokens.last_mut().unwrap().push('$');
                i += 1;
            }
            b'+' | b'-' => {
                let digits = bytes[i + 1..]
                    .iter()
                    .take_while(|b| b.is_ascii_digit())
                    .count();
                let length: usize = bases[i + 1..i + 1 + digits].parse().unwrap();
                let end = i + 1 + digits + length;
                tokens.last_mut().unwrap().push_str(&bases[i..end]);
                i = end;
            }
            _ => {
                tokens.push((bytes[i] as char).to_string());
                i += 1;
            }
        }
    }
    tokens
}

/// Writes `fasta` as DIR/ref.fa and plans it in `parts` reference parts (`fasta-split plan`):
/// the parts manifest, DIR/parts.jsonl, for `fanout --cross`.
pub fn planned_parts(dir: &Path, fasta: &[u8], parts: u32) -> PathBuf {
    let reference = dir.join("ref.fa");
    fs::write(&reference, fasta).unwrap();
    let plan = run_ok(
        Command::new(bin("fasta-split"))
            .arg("plan")
            .arg(&reference)
            .args(["--chunks", &parts.to_string()]),
    );
    let manifest = dir.join("parts.jsonl");
    fs::write(&manifest, plan).unwrap();
    manifest
}

/// Runs `command` locally on every (chunk, part) pair of `reads` x `parts`, one output each in
/// `out`: what the remote backends' runs of the same pairs must equal.
pub fn local_cross(reads: &Path, parts: &Path, out: &Path, command: &[&str]) {
    run_ok(
        Command::new(bin("fanout"))
            .args(["-q", "--out-dir"])
            .arg(out)
            .arg("-m")
            .arg(reads)
            .arg("--cross")
            .arg(parts)
            .arg("--")
            .args(command),
    );
}

/// Builds the index of the gzip FASTQ `input` across workers with `fastq-split index-parts`
/// in `parts` parts, running both rounds through the `fanout` command that `fanout` gives
/// (its backend chosen), the parts' files under `work` (a directory or an `s3://` prefix).
/// Returns the joined index.
pub fn index_in_parts(
    input: &str,
    parts: u32,
    span: &str,
    work: &str,
    fanout: &dyn Fn() -> Command,
) -> fastq_gz::index::GzIndex {
    let plan = run_ok(Command::new(bin("fastq-split")).args([
        "index-parts",
        "plan",
        input,
        "--parts",
        &parts.to_string(),
        "--span",
        span,
    ]));
    index_from_parts(&plan, work, fanout)
}

/// [`index_in_parts`] from the parts' manifest `plan` (its lines as `index-parts plan`
/// writes them, or altered).
pub fn index_from_parts(
    plan: &[u8],
    work: &str,
    fanout: &dyn Fn() -> Command,
) -> fastq_gz::index::GzIndex {
    let dir = tempfile::tempdir().unwrap();
    let manifest_path = dir.path().join("parts.jsonl");
    std::fs::write(&manifest_path, plan).unwrap();
    let fastq_split = bin("fastq-split");
    let round = |suffix: &str, step: &[&str]| {
        run_ok(
            fanout()
                .args([
                    "-q",
                    "-j",
                    "3",
                    "--no-stdin",
                    "--out-dir",
                    work,
                    "--suffix",
                    suffix,
                ])
                .arg("-m")
                .arg(&manifest_path)
                .arg("--")
                .arg(&fastq_split)
                .args(["index-parts"])
                .args(step),
        )
    };
    round(".scan.json", &["scan"]);
    run_ok(
        Command::new(&fastq_split)
            .args(["index-parts", "chain"])
            .arg(&manifest_path)
            .arg(work),
    );
    round(".part.json", &["build", work]);
    let joined = run_ok(
        Command::new(&fastq_split)
            .args(["-q", "index-parts", "join"])
            .arg(&manifest_path)
            .args([work, "-o", "-"]),
    );
    fastq_gz::index::GzIndex::read(&joined, "joined index").unwrap()
}
