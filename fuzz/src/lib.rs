//! What the fuzz targets share: small valid inputs of every format (the fixtures that
//! manifest lines are rebuilt against, and the seeds' raw material), and scratch files for
//! parsers that read through `partition_core::Source`.

use std::io::Write;
use std::path::PathBuf;
use std::sync::OnceLock;

/// Writes `bytes` to this process's scratch file `name` and returns its path.
pub fn scratch(name: &str, bytes: &[u8]) -> String {
    let path = scratch_dir().join(name);
    std::fs::write(&path, bytes).expect("scratch file written");
    path.to_string_lossy().into_owned()
}

fn scratch_dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("chunkwise-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("scratch directory created");
        dir
    })
}

/// A deterministic pseudo-random stream (no dependency, same bytes everywhere).
pub struct Lcg(u64);

impl Lcg {
    pub fn new(seed: u64) -> Lcg {
        Lcg(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

/// Illumina-like FASTQ; some quality lines start with '@', some records have a blank line.
pub fn fastq(records: usize, seed: u64) -> Vec<u8> {
    let mut rng = Lcg::new(seed);
    let mut out = Vec::new();
    for i in 0..records {
        let length = 20 + rng.below(40) as usize;
        writeln!(out, "@read{i} 1:N:0:ACGT").unwrap();
        out.extend((0..length).map(|_| b"ACGTN"[rng.below(5) as usize]));
        out.extend_from_slice(b"\n+\n");
        out.extend((0..length).map(|_| b"@#:FI"[rng.below(5) as usize]));
        out.push(b'\n');
    }
    out
}

/// `data` cut in `members` gzip members, level 6.
pub fn gzip(data: &[u8], members: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let step = data.len().div_ceil(members.max(1)).max(1);
    for part in data.chunks(step) {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
        encoder.write_all(part).unwrap();
        out.extend(encoder.finish().unwrap());
    }
    out
}

/// A FASTA reference: sequences of several lengths, line widths and a short last line.
pub fn fasta(seed: u64) -> Vec<u8> {
    let mut rng = Lcg::new(seed);
    let mut out = Vec::new();
    for (i, (length, width)) in [(500, 60), (37, 10), (1, 70), (240, 80)]
        .into_iter()
        .enumerate()
    {
        writeln!(out, ">seq{i} description {i}").unwrap();
        let bases: Vec<u8> = (0..length).map(|_| b"ACGTN"[rng.below(5) as usize]).collect();
        for line in bases.chunks(width) {
            out.extend_from_slice(line);
            out.push(b'\n');
        }
    }
    out
}

/// A sorted two-sample pileup over `chroms`, positions `first..first + count`, with read
/// starts, ends, indels and `*`.
pub fn pileup(chroms: &[&str], first: u64, count: u64, seed: u64) -> Vec<u8> {
    let mut rng = Lcg::new(seed);
    let tokens: [&str; 8] = [".", ",", "A", "^I.", "$", "+2AC", "-1g", "*"];
    let mut out = Vec::new();
    for chrom in chroms {
        for position in first..first + count {
            write!(out, "{chrom}\t{position}\tN").unwrap();
            for _ in 0..2 {
                let depth = rng.below(4);
                let mut bases = String::new();
                let mut quals = String::new();
                for _ in 0..depth {
                    let token = tokens[rng.below(tokens.len() as u64) as usize];
                    let token = if token == "$" { ".$" } else { token };
                    bases.push_str(token);
                    quals.push('I');
                }
                if depth == 0 {
                    bases.push('*');
                    quals.push('*');
                }
                write!(out, "\t{depth}\t{bases}\t{quals}").unwrap();
            }
            out.push(b'\n');
        }
    }
    out
}

/// A small point cloud with a WKT VLR (and an EVLR for LAS 1.4), some points withheld.
pub fn las(format_id: u8, compressed: bool, points: usize) -> Vec<u8> {
    use las::{Builder, Point, Transform, Vector, Vlr, Writer};
    let minor = match format_id {
        6.. => 4,
        4 | 5 => 3,
        _ => 2,
    };
    let mut builder = Builder::from((1, minor));
    let mut format = las::point::Format::new(format_id).unwrap();
    format.is_compressed = compressed;
    builder.point_format = format;
    let transform = |offset| Transform {
        scale: 0.01,
        offset,
    };
    builder.transforms = Vector {
        x: transform(1000.0),
        y: transform(2000.0),
        z: transform(0.0),
    };
    builder.vlrs.push(Vlr {
        user_id: "LASF_Projection".to_string(),
        record_id: 2112,
        description: "OGC WKT".to_string(),
        data: b"PROJCS[\"fuzz\"]\0".to_vec(),
    });
    if minor == 4 {
        builder.evlrs.push(Vlr {
            user_id: "chunkwise-fuzz".to_string(),
            record_id: 1,
            description: "an EVLR".to_string(),
            data: vec![1; 20],
        });
    }
    let mut writer =
        Writer::new(std::io::Cursor::new(Vec::new()), builder.into_header().unwrap()).unwrap();
    let mut rng = Lcg::new(u64::from(format_id));
    for i in 0..points {
        let mut point = Point {
            x: 1000.0 + rng.below(10_000) as f64 / 100.0,
            y: 2000.0 + rng.below(5_000) as f64 / 100.0,
            z: rng.below(1000) as f64 / 100.0,
            return_number: 1,
            number_of_returns: 1,
            is_withheld: i % 9 == 0,
            ..Default::default()
        };
        if format.has_gps_time {
            point.gps_time = Some(i as f64);
        }
        if format.has_color {
            point.color = Some(las::Color::new(1, 2, 3));
        }
        if format.has_nir {
            point.nir = Some(4);
        }
        if format.has_waveform {
            point.waveform = Some(las::raw::point::Waveform::default());
        }
        writer.write_point(point).unwrap();
    }
    writer.close().unwrap();
    writer.into_inner().unwrap().into_inner()
}

/// A tiled, Deflate-compressed GeoTIFF made by GDAL (see `make-seeds`).
pub const TIFF: &[u8] = include_bytes!("../corpus/tiff_file/deflate-pred2.tif");

/// Files that manifest lines are rebuilt against, one per kind.
pub struct Fixtures {
    pub fastq: String,
    pub fastq_gz: String,
    pub fasta: String,
    pub pileup: String,
    pub las: String,
    pub tiff: String,
}

pub fn fixtures() -> &'static Fixtures {
    static FIXTURES: OnceLock<Fixtures> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let reads = fastq(300, 1);
        Fixtures {
            fastq: scratch("reads.fq", &reads),
            fastq_gz: scratch("reads.fq.gz", &gzip(&reads, 2)),
            fasta: scratch("ref.fa", &fasta(1)),
            pileup: scratch("part.pileup", &pileup(&["1", "2"], 1, 200, 1)),
            las: scratch("points.las", &las(6, false, 500)),
            tiff: scratch("image.tif", TIFF),
        }
    })
}
