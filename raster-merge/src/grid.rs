//! Pixel grids: where a raster's pixels lie (a north-up geotransform and a size), and the
//! rectangles of pixels a merge moves between grids.

/// A rectangle of pixels: first column and row, width and height.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rect {
    pub col: u64,
    pub row: u64,
    pub width: u64,
    pub height: u64,
}

impl Rect {
    pub fn end_col(&self) -> u64 {
        self.col + self.width
    }

    pub fn end_row(&self) -> u64 {
        self.row + self.height
    }

    pub fn is_empty(&self) -> bool {
        self.width == 0 || self.height == 0
    }

    /// Whether `other` lies wholly inside this rectangle.
    pub fn contains(&self, other: &Rect) -> bool {
        other.col >= self.col
            && other.row >= self.row
            && other.end_col() <= self.end_col()
            && other.end_row() <= self.end_row()
    }
}

/// A north-up grid: a GDAL geotransform (`[x0, pixel width, 0, y0, 0, -pixel height]`, the
/// outer corner of the first pixel) and a size in pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Grid {
    pub geotransform: [f64; 6],
    pub width: u64,
    pub height: u64,
}

/// How far from a whole pixel two grids may be and still count as one lattice: GeoTIFFs store
/// origins as doubles that went through decimal text and arithmetic on the way.
const ALIGN_TOLERANCE: f64 = 1e-3;

impl Grid {
    /// The pixel size, `(x, y)`, both positive.
    pub fn resolution(&self) -> (f64, f64) {
        (self.geotransform[1], -self.geotransform[5])
    }

    pub fn is_north_up(geotransform: &[f64; 6]) -> bool {
        geotransform[2] == 0.0
            && geotransform[4] == 0.0
            && geotransform[1] > 0.0
            && geotransform[5] < 0.0
    }

    /// Whether `other` has this grid's pixel size (to a part in a million of a pixel over the
    /// grid's width: what decimal round trips leave).
    pub fn same_resolution(&self, other: &Grid) -> bool {
        let (ax, ay) = self.resolution();
        let (bx, by) = other.resolution();
        let close = |a: f64, b: f64| (a - b).abs() <= a.abs() * 1e-9 + ALIGN_TOLERANCE * 1e-6;
        close(ax, bx) && close(ay, by)
    }

    /// Where `other`'s first pixel lies on this grid, in whole pixels (negative when it starts
    /// before this grid), or `None` when it falls between pixels.
    pub fn offset_of(&self, other: &Grid) -> Option<(i64, i64)> {
        let (rx, ry) = self.resolution();
        let col = (other.geotransform[0] - self.geotransform[0]) / rx;
        let row = (self.geotransform[3] - other.geotransform[3]) / ry;
        let whole = |v: f64| (v - v.round()).abs() <= ALIGN_TOLERANCE;
        (whole(col) && whole(row)).then(|| (col.round() as i64, row.round() as i64))
    }

    /// The geotransform of a grid starting `(col, row)` pixels into this one.
    pub fn shifted(&self, col: i64, row: i64) -> [f64; 6] {
        let mut g = self.geotransform;
        g[0] += col as f64 * g[1];
        g[3] += row as f64 * g[5];
        g
    }

    /// The columns `[first, end)` whose pixel centres lie in `[min, max)` on the x axis.
    pub fn columns_between(&self, min: f64, max: f64) -> (u64, u64) {
        let (rx, _) = self.resolution();
        let first = |x: f64| ((x - self.geotransform[0]) / rx - 0.5).ceil().max(0.0) as u64;
        (first(min).min(self.width), first(max).min(self.width))
    }

    /// The rows `[first, end)` whose pixel centres lie in `[min, max)` on the y axis (rows run
    /// from north to south, so the first row is the one nearest `max`).
    pub fn rows_between(&self, min: f64, max: f64) -> (u64, u64) {
        let (_, ry) = self.resolution();
        // Row r's centre is y0 - (r + 0.5) ry; it lies below `max` for r > (y0 - max)/ry - 0.5,
        // and at or above `min` for r <= (y0 - min)/ry - 0.5.
        let above = |y: f64| (self.geotransform[3] - y) / ry - 0.5;
        let first = (above(max).floor() + 1.0).max(0.0) as u64;
        let end = (above(min).floor() + 1.0).max(0.0) as u64;
        (first.min(self.height), end.min(self.height))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid() -> Grid {
        Grid {
            geotransform: [100.0, 2.0, 0.0, 500.0, 0.0, -2.0],
            width: 10,
            height: 10,
        }
    }

    #[test]
    fn offsets_are_whole_pixels_or_none() {
        let g = grid();
        let other = Grid {
            geotransform: g.shifted(3, -2),
            ..g
        };
        assert_eq!(g.offset_of(&other), Some((3, -2)));
        let between = Grid {
            geotransform: [101.0, 2.0, 0.0, 500.0, 0.0, -2.0],
            ..g
        };
        assert_eq!(g.offset_of(&between), None);
    }

    #[test]
    fn pixel_centres_decide_columns_and_rows() {
        let g = grid();
        // Centres at 101, 103, ...: [103, 107) holds the centres 103 and 105.
        assert_eq!(g.columns_between(103.0, 107.0), (1, 3));
        assert_eq!(g.columns_between(102.5, 107.5), (1, 4));
        // Row centres at 499, 497, ...: [493, 497) holds 495 and 493 (rows 2 and 3).
        assert_eq!(g.rows_between(493.0, 497.0), (2, 4));
        // Half-open: a centre on the max edge belongs to the next box up.
        assert_eq!(g.rows_between(495.0, 499.0), (1, 3));
        // Far outside clamps to the grid.
        assert_eq!(g.columns_between(-1e9, 1e9), (0, 10));
    }
}
