//! A point cloud as LAS or LAZ bytes, written with the `las` crate.

use std::path::Path;

use las::point::Classification;
use las::{Builder, Color, Point, Vlr, Writer};

use crate::Rng;

/// Writes [`las()`]'s cloud to `path`.
pub fn write_las(path: &Path, format_id: u8, compressed: bool, points: usize) {
    std::fs::write(path, las(format_id, compressed, points)).expect("the cloud is written");
}

/// A cloud of `points` points in point format `format_id` (LAS 1.2, 1.3 or 1.4 as the format
/// needs), LAZ when `compressed`: a dense cluster over a sparse background, every return
/// number and several classes, about 10 % withheld, 3 extra bytes a point, a WKT VLR and
/// (LAS 1.4) an EVLR. The same arguments give the same bytes.
pub fn las(format_id: u8, compressed: bool, points: usize) -> Vec<u8> {
    let minor = match format_id {
        6.. => 4,
        4 | 5 => 3,
        _ => 2,
    };
    let mut builder = Builder::from((1, minor));
    let mut format = las::point::Format::new(format_id).unwrap();
    format.extra_bytes = 3;
    format.is_compressed = compressed;
    builder.point_format = format;
    builder.transforms = las::Vector {
        x: las::Transform {
            scale: 0.01,
            offset: 1000.0,
        },
        y: las::Transform {
            scale: 0.01,
            offset: 2000.0,
        },
        z: las::Transform {
            scale: 0.001,
            offset: 0.0,
        },
    };
    builder.vlrs.push(Vlr {
        user_id: "LASF_Projection".to_string(),
        record_id: 2112,
        description: "OGC WKT".to_string(),
        data: b"PROJCS[\"test\"]\0".to_vec(),
    });
    if minor == 4 {
        builder.evlrs.push(Vlr {
            user_id: "chunkwise-test".to_string(),
            record_id: 7,
            description: "an EVLR".to_string(),
            data: vec![7; 100],
        });
    }
    let header = builder.into_header().unwrap();
    let mut writer = Writer::new(std::io::Cursor::new(Vec::new()), header).unwrap();
    let mut rng = Rng::new(u64::from(format_id) * 31 + u64::from(compressed));
    let mut random = || rng.unit();
    let max_returns = if format_id >= 6 { 15 } else { 5 };
    for i in 0..points {
        let (x, y) = if i % 4 == 0 {
            (1000.0 + random() * 200.0, 2000.0 + random() * 100.0)
        } else {
            (1050.0 + random() * 20.0, 2040.0 + random() * 20.0)
        };
        let number_of_returns = 1 + (random() * max_returns as f64) as u8 % max_returns;
        let mut point = Point {
            x: (x * 100.0).round() / 100.0,
            y: (y * 100.0).round() / 100.0,
            z: random() * 50.0,
            intensity: (random() * 65535.0) as u16,
            number_of_returns,
            return_number: 1 + (random() * number_of_returns as f64) as u8 % number_of_returns,
            classification: Classification::new([1, 2, 5, 6, 9][i % 5]).unwrap(),
            is_withheld: random() < 0.1,
            is_key_point: i % 7 == 0,
            user_data: i as u8,
            point_source_id: 3,
            extra_bytes: vec![i as u8, 1, 2],
            ..Default::default()
        };
        if format.has_gps_time {
            point.gps_time = Some(i as f64 * 0.5);
        }
        if format.has_color {
            point.color = Some(Color::new(i as u16, 2, 3));
        }
        if format.has_nir {
            point.nir = Some(9);
        }
        if format.has_waveform {
            point.waveform = Some(las::raw::point::Waveform::default());
        }
        writer.write_point(point).unwrap();
    }
    writer.close().unwrap();
    writer.into_inner().unwrap().into_inner()
}
