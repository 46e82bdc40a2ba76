//! Overviews: each level halves the one above it, two rows and two columns into one pixel.

use serde::{Deserialize, Serialize};

use crate::image::DataType;

/// How an overview pixel comes from the 2x2 pixels above it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Resampling {
    /// The mean of the pixels that are not nodata (nor NaN), rounded for integer samples;
    /// nodata when all are.
    Average,
    /// The top-left pixel, as GDAL's NEAREST takes it when halving.
    Nearest,
}

/// The rows of the next level down: `rows` (pixel-interleaved little-endian, `width` pixels
/// wide, starting at an even row of its level) halved into `ceil(rows / 2)` rows of
/// `ceil(width / 2)` pixels; an odd last row or column stands alone.
pub fn halve(
    rows: &[u8],
    width: usize,
    bands: usize,
    dtype: DataType,
    nodata: Option<f64>,
    resampling: Resampling,
) -> Vec<u8> {
    match dtype {
        DataType::Uint8 => halve_as::<u8>(rows, width, bands, nodata, resampling),
        DataType::Int8 => halve_as::<i8>(rows, width, bands, nodata, resampling),
        DataType::Uint16 => halve_as::<u16>(rows, width, bands, nodata, resampling),
        DataType::Int16 => halve_as::<i16>(rows, width, bands, nodata, resampling),
        DataType::Uint32 => halve_as::<u32>(rows, width, bands, nodata, resampling),
        DataType::Int32 => halve_as::<i32>(rows, width, bands, nodata, resampling),
        DataType::Uint64 => halve_as::<u64>(rows, width, bands, nodata, resampling),
        DataType::Int64 => halve_as::<i64>(rows, width, bands, nodata, resampling),
        DataType::Float32 => halve_as::<f32>(rows, width, bands, nodata, resampling),
        DataType::Float64 => halve_as::<f64>(rows, width, bands, nodata, resampling),
    }
}

/// A sample type: read and written little-endian, averaged in f64.
trait Sample: Copy {
    const SIZE: usize;
    fn read(bytes: &[u8]) -> Self;
    fn write(self, out: &mut Vec<u8>);
    fn to_f64(self) -> f64;
    /// The nearest value of this type (rounded and clamped for integers).
    fn from_f64(value: f64) -> Self;
}

macro_rules! sample {
    ($t:ty, $float:expr) => {
        impl Sample for $t {
            const SIZE: usize = std::mem::size_of::<$t>();
            fn read(bytes: &[u8]) -> Self {
                <$t>::from_le_bytes(bytes.try_into().unwrap())
            }
            fn write(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
            fn to_f64(self) -> f64 {
                self as f64
            }
            fn from_f64(value: f64) -> Self {
                // `as` saturates at the type's bounds.
                if $float {
                    value as $t
                } else {
                    value.round() as $t
                }
            }
        }
    };
}

sample!(u8, false);
sample!(i8, false);
sample!(u16, false);
sample!(i16, false);
sample!(u32, false);
sample!(i32, false);
sample!(u64, false);
sample!(i64, false);
sample!(f32, true);
sample!(f64, true);

fn halve_as<T: Sample>(
    rows: &[u8],
    width: usize,
    bands: usize,
    nodata: Option<f64>,
    resampling: Resampling,
) -> Vec<u8> {
    let row_bytes = width * bands * T::SIZE;
    let height = rows.len() / row_bytes;
    let out_width = width.div_ceil(2);
    let mut out = Vec::with_capacity(height.div_ceil(2) * out_width * bands * T::SIZE);
    let sample = |row: usize, col: usize, band: usize| {
        let at = row * row_bytes + (col * bands + band) * T::SIZE;
        T::read(&rows[at..at + T::SIZE])
    };
    let valid = |value: f64| !value.is_nan() && Some(value) != nodata;
    let empty = T::from_f64(nodata.unwrap_or(0.0));
    for row in (0..height).step_by(2) {
        let rows_here = if row + 1 < height { 2 } else { 1 };
        for col in (0..width).step_by(2) {
            let cols_here = if col + 1 < width { 2 } else { 1 };
            for band in 0..bands {
                let value = match resampling {
                    Resampling::Nearest => sample(row, col, band),
                    Resampling::Average => {
                        let (mut sum, mut count) = (0.0, 0u32);
                        for r in row..row + rows_here {
                            for c in col..col + cols_here {
                                let v = sample(r, c, band).to_f64();
                                if valid(v) {
                                    sum += v;
                                    count += 1;
                                }
                            }
                        }
                        if count == 0 {
                            empty
                        } else {
                            T::from_f64(sum / count as f64)
                        }
                    }
                };
                value.write(&mut out);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(values: &[u16]) -> Vec<u8> {
        values.iter().flat_map(|v| v.to_le_bytes()).collect()
    }

    #[test]
    fn average_skips_nodata_and_rounds() {
        // 3x3, nodata 0: the odd last row and column stand alone.
        let rows = bytes(&[1, 2, 7, 4, 0, 8, 5, 6, 0]);
        let out = halve(
            &rows,
            3,
            1,
            DataType::Uint16,
            Some(0.0),
            Resampling::Average,
        );
        // (1+2+4)/3 = 2.33 -> 2; (7+8)/2 = 7.5 -> 8; (5+6)/2 = 5.5 -> 6; lone 0 -> nodata.
        assert_eq!(out, bytes(&[2, 8, 6, 0]));
        let nearest = halve(&rows, 3, 1, DataType::Uint16, None, Resampling::Nearest);
        assert_eq!(nearest, bytes(&[1, 7, 5, 0]));
    }

    #[test]
    fn bands_stay_apart() {
        let rows = bytes(&[1, 10, 3, 30]);
        let out = halve(&rows, 2, 2, DataType::Uint16, None, Resampling::Average);
        assert_eq!(out, bytes(&[2, 20]));
    }
}
