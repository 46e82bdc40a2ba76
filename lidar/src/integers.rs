//! Boxes of coordinates as boxes of the files' integers: a point is tested against a box
//! without scaling it, exactly.

/// The integer X, Y whose coordinates pass `inside(axis, coordinate)` on both axes, a test
/// that holds on one interval of each axis with ends near `edges` (`[min x, min y, max x,
/// max y]`): a closed box of integers, `[min x, min y, max x, max y]`, that holds none where
/// `integer_run` finds no run. Tested on integers, points need no scaling.
pub fn integer_box(
    scale: [f64; 2],
    offset: [f64; 2],
    edges: [f64; 4],
    inside: impl Fn(usize, f64) -> bool,
) -> [i32; 4] {
    let run = |axis: usize| {
        integer_run(
            scale[axis],
            offset[axis],
            [edges[axis], edges[axis + 2]],
            |v| inside(axis, v),
        )
    };
    match (run(0), run(1)) {
        (Some(x), Some(y)) => [x[0], y[0], x[1], y[1]],
        _ => [0, 0, -1, -1],
    }
}

/// The integers whose coordinate (`i * scale + offset`, as [`Head::scale_xy`] computes it)
/// passes `inside`, a test that holds on one interval of coordinates with ends near
/// `edges`: `[first, last]`. `None` when there are none, or when they are not found within a
/// few steps of the edges (a scale that is not positive, say), so that callers fall back to
/// testing coordinates. Exact, so a test of integers against the run is the test itself.
fn integer_run(
    scale: f64,
    offset: f64,
    edges: [f64; 2],
    inside: impl Fn(f64) -> bool,
) -> Option<[i32; 2]> {
    const STEPS: usize = 8;
    if scale.is_nan() || scale <= 0.0 {
        return None;
    }
    let holds = |i: i64| i32::try_from(i).is_ok_and(|i| inside(f64::from(i) * scale + offset));
    // Where `holds` changes, from a guess, towards `outwards` (-1 for the first, 1 for the
    // last integer of the run).
    let end = |edge: f64, outwards: i64| {
        let mut i = ((edge - offset) / scale).round().clamp(-2e9, 2e9) as i64;
        for _ in 0..STEPS {
            match (holds(i), holds(i + outwards)) {
                (true, false) => return Some(i),
                (true, true) => i += outwards,
                (false, _) => i -= outwards,
            }
        }
        None
    };
    let run = [end(edges[0], -1)?, end(edges[1], 1)?];
    (run[0] <= run[1]).then(|| run.map(|i| i as i32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_runs_are_exactly_the_integers_inside() {
        let (scale, offset) = (0.01, 500_000.0);
        let coordinate = |i: i32| f64::from(i) * scale + offset;
        for (lo, hi) in [
            (500_001.005, 500_002.0),
            (499_990.0, 499_990.02),
            (500_000.0, 500_000.0),
        ] {
            let inside = |v: f64| lo < v && v < hi;
            let expected: Vec<i32> = (-2000..2000).filter(|&i| inside(coordinate(i))).collect();
            let run = integer_run(scale, offset, [lo, hi], inside);
            match expected[..] {
                [] => assert_eq!(run, None, "{lo} {hi}"),
                [.., last] => assert_eq!(run, Some([expected[0], last]), "{lo} {hi}"),
            }
        }
        // Not found: the callers test coordinates instead.
        assert_eq!(
            integer_run(-0.01, 0.0, [0.0, 1.0], |v| v > 0.0 && v < 1.0),
            None
        );
        assert_eq!(integer_run(0.01, 0.0, [f64::NAN, 1.0], |v| v < 1.0), None);
    }
}
