//! A picture of a run, drawn from its joblog (`fanout report`): the figures people ask first
//! (chunks, attempts, failures, wall time, task time, the spread of task durations), a timeline
//! with one bar per attempt from its start to its end, coloured by outcome and attempt, the
//! number of tasks running over time, and a histogram of task durations. One SVG file, no
//! scripts, so that it opens in any browser and embeds in a report.

use std::collections::HashSet;
use std::fmt::Write as _;

use crate::joblog::Row;

/// Width of the plots, and the margin left of them for labels.
const WIDTH: f64 = 900.0;
const LEFT: f64 = 70.0;

/// Colours: first attempts that succeeded, retries and backups that succeeded, failed
/// attempts, attempts stopped because another attempt of their chunk won (`--speculate`).
const OK: &str = "#2ca02c";
const OK_RETRY: &str = "#17becf";
const FAILED: &str = "#d62728";
const LOST: &str = "#aaaaaa";

/// What a run amounted to.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    pub chunks: usize,
    pub attempts: usize,
    /// Chunks with no successful attempt.
    pub failed: usize,
    /// Attempts after the first, over all chunks, but for those lost to a backup.
    pub retries: usize,
    /// Attempts stopped because another attempt of their chunk succeeded first.
    pub lost: usize,
    /// Seconds billed and their cost in USD (Lambda); none when no row says.
    pub billed: Option<f64>,
    pub cost: Option<f64>,
    /// From the first start to the last end, in seconds.
    pub wall: f64,
    /// The attempts' runtimes added up, in seconds.
    pub task_time: f64,
    pub median: f64,
    pub p95: f64,
    pub longest: f64,
}

impl Figures {
    pub fn of(rows: &[Row]) -> Figures {
        let ids: HashSet<&str> = rows.iter().map(|r| r.id.as_str()).collect();
        let succeeded: HashSet<&str> = rows
            .iter()
            .filter(|r| r.ok())
            .map(|r| r.id.as_str())
            .collect();
        let (start, end) = span(rows);
        let mut runtimes: Vec<f64> = rows.iter().map(|r| r.runtime).collect();
        runtimes.sort_by(f64::total_cmp);
        let at = |q: f64| {
            runtimes
                .get(((runtimes.len() as f64 - 1.0) * q).round() as usize)
                .copied()
                .unwrap_or(0.0)
        };
        let lost = rows.iter().filter(|r| r.lost()).count();
        let total = |value: fn(&Row) -> Option<f64>| {
            rows.iter()
                .filter_map(value)
                .fold(None, |sum, v| Some(sum.unwrap_or(0.0) + v))
        };
        Figures {
            chunks: ids.len(),
            attempts: rows.len(),
            failed: ids.len() - succeeded.len(),
            retries: rows.len() - ids.len() - lost,
            lost,
            billed: total(|r| r.billed),
            cost: total(|r| r.cost),
            wall: end - start,
            task_time: runtimes.iter().sum(),
            median: at(0.5),
            p95: at(0.95),
            longest: runtimes.last().copied().unwrap_or(0.0),
        }
    }
}

/// The first start and the last end of the rows' attempts.
fn span(rows: &[Row]) -> (f64, f64) {
    let start = rows.iter().map(|r| r.start).fold(f64::INFINITY, f64::min);
    let end = rows
        .iter()
        .map(|r| r.start + r.runtime)
        .fold(f64::NEG_INFINITY, f64::max);
    if rows.is_empty() {
        (0.0, 0.0)
    } else {
        (start, end)
    }
}

/// The SVG text for a run's joblog rows (one per attempt, as the joblog holds them).
pub fn picture(rows: &[Row]) -> String {
    let figures = Figures::of(rows);
    let (t0, t1) = span(rows);
    let wall = (t1 - t0).max(1e-3);
    let x = |t: f64| LEFT + (t - t0) / wall * WIDTH;
    let mut svg = String::new();

    // The figures.
    let mut lines = vec![
        format!(
            "{} chunks, {} attempts ({} retries, {} lost to a backup), {} failed",
            figures.chunks, figures.attempts, figures.retries, figures.lost, figures.failed
        ),
        format!(
            "wall {}, task time {} ({:.1} tasks running on average)",
            seconds(figures.wall),
            seconds(figures.task_time),
            figures.task_time / wall
        ),
        format!(
            "task durations: median {}, 95th percentile {}, longest {}",
            seconds(figures.median),
            seconds(figures.p95),
            seconds(figures.longest)
        ),
    ];
    if let Some(billed) = figures.billed {
        let cost = figures
            .cost
            .map_or("no price known".to_string(), |cost| format!("${cost:.6}"));
        lines.push(format!("billed {} in all, cost {cost}", seconds(billed)));
    }
    let mut y = 24.0;
    let mut body = String::new();
    let _ = writeln!(
        body,
        r#"<text x="{LEFT}" y="{y}" font-size="16" font-weight="bold">fanout run</text>"#
    );
    for line in &lines {
        y += 20.0;
        let _ = writeln!(
            body,
            r#"<text x="{LEFT}" y="{y}" font-size="13">{line}</text>"#
        );
    }

    // Timeline: attempts in order of start, one bar each.
    y += 30.0;
    heading(&mut body, y, "attempts over time");
    let legend = [
        (OK, "first attempt ok"),
        (OK_RETRY, "retry or backup ok"),
        (FAILED, "failed"),
        (LOST, "lost to a backup"),
    ];
    for (i, (colour, what)) in legend.into_iter().enumerate() {
        let at = LEFT + 200.0 + i as f64 * 140.0;
        let _ = writeln!(
            body,
            r#"<rect x="{at}" y="{:.1}" width="12" height="12" fill="{colour}"/><text x="{:.1}" y="{y}" font-size="12">{what}</text>"#,
            y - 10.0,
            at + 16.0
        );
    }
    y += 8.0;
    let mut order: Vec<&Row> = rows.iter().collect();
    order.sort_by(|a, b| a.start.total_cmp(&b.start).then(a.seq.cmp(&b.seq)));
    let bar = (600.0 / order.len().max(1) as f64).clamp(0.5, 12.0);
    let top = y;
    for (i, row) in order.iter().enumerate() {
        let colour = match (row.ok(), row.attempt) {
            (true, 1) => OK,
            (true, _) => OK_RETRY,
            (false, _) if row.lost() => LOST,
            (false, _) => FAILED,
        };
        let _ = writeln!(
            body,
            r#"<rect class="attempt" data-seq="{}" data-attempt="{}" x="{:.2}" y="{:.2}" width="{:.2}" height="{:.2}" fill="{colour}"><title>{} attempt {}: {}, {}</title></rect>"#,
            row.seq,
            row.attempt,
            x(row.start),
            top + i as f64 * bar,
            (row.runtime / wall * WIDTH).max(0.5),
            bar,
            escape(&row.id),
            row.attempt,
            seconds(row.runtime),
            escape(&row.result)
        );
    }
    y = top + order.len() as f64 * bar;
    axis(&mut body, y, t1 - t0);
    y += 40.0;

    // Tasks running over time, as a step line.
    heading(&mut body, y, "tasks running");
    y += 8.0;
    // The joblog rounds starts and runtimes to the millisecond apart, so an end may come out
    // up to 1 ms after the start of the task that took its slot: ends count that much earlier.
    let mut events: Vec<(f64, i64)> = rows
        .iter()
        .flat_map(|r| [(r.start, 1), (r.start + r.runtime - 0.0015, -1)])
        .collect();
    events.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let peak = {
        let mut running = 0i64;
        events
            .iter()
            .map(|(_, d)| {
                running += d;
                running
            })
            .max()
            .unwrap_or(0)
            .max(1)
    };
    let height = 100.0;
    let level = |n: i64| y + height - n as f64 / peak as f64 * height;
    let mut points = format!("{:.2},{:.2}", x(t0), level(0));
    let mut running = 0;
    for (t, delta) in &events {
        let _ = write!(points, " {:.2},{:.2}", x(*t), level(running));
        running += delta;
        let _ = write!(points, " {:.2},{:.2}", x(*t), level(running));
    }
    let _ = writeln!(
        body,
        r##"<polyline points="{points}" fill="none" stroke="#1f77b4" stroke-width="1.5"/>"##
    );
    let _ = writeln!(
        body,
        r#"<text x="{}" y="{:.2}" font-size="11" text-anchor="end">{peak}</text>"#,
        LEFT - 6.0,
        y + 4.0
    );
    let _ = writeln!(
        body,
        r#"<text x="{}" y="{:.2}" font-size="11" text-anchor="end">0</text>"#,
        LEFT - 6.0,
        y + height
    );
    y += height;
    axis(&mut body, y, t1 - t0);
    y += 40.0;

    // Histogram of durations.
    heading(&mut body, y, "task durations");
    y += 8.0;
    let bins = 30;
    let longest = figures.longest.max(1e-3);
    let mut counts = vec![0usize; bins];
    for row in rows {
        counts[((row.runtime / longest * bins as f64) as usize).min(bins - 1)] += 1;
    }
    let most = counts.iter().copied().max().unwrap_or(0).max(1);
    let width = WIDTH / bins as f64;
    for (i, &count) in counts.iter().enumerate() {
        let h = count as f64 / most as f64 * height;
        let _ = writeln!(
            body,
            r##"<rect class="duration" x="{:.2}" y="{:.2}" width="{:.2}" height="{h:.2}" fill="#9467bd"><title>{count} attempts of {} to {}</title></rect>"##,
            LEFT + i as f64 * width,
            y + height - h,
            width - 1.0,
            seconds(i as f64 * longest / bins as f64),
            seconds((i + 1) as f64 * longest / bins as f64)
        );
    }
    y += height;
    axis(&mut body, y, longest);
    y += 30.0;

    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0}" height="{y:.0}" viewBox="0 0 {w:.0} {y:.0}" font-family="sans-serif">"#,
        w = LEFT + WIDTH + 30.0
    );
    let _ = writeln!(svg, r#"<rect width="100%" height="100%" fill="white"/>"#);
    svg.push_str(&body);
    svg.push_str("</svg>\n");
    svg
}

/// The title of a plot, at `y`.
fn heading(svg: &mut String, y: f64, title: &str) {
    let _ = writeln!(
        svg,
        r#"<text x="{LEFT}" y="{y}" font-size="13" font-weight="bold">{title}</text>"#
    );
}

/// A seconds axis under a plot: a line and five ticks from 0 to `length` seconds.
fn axis(svg: &mut String, y: f64, length: f64) {
    let _ = writeln!(
        svg,
        r##"<line x1="{LEFT}" y1="{y:.2}" x2="{:.2}" y2="{y:.2}" stroke="#333"/>"##,
        LEFT + WIDTH
    );
    for tick in 0..=4 {
        let value = length * tick as f64 / 4.0;
        let _ = writeln!(
            svg,
            r#"<text x="{:.2}" y="{:.2}" font-size="11" text-anchor="middle">{}</text>"#,
            LEFT + WIDTH * tick as f64 / 4.0,
            y + 14.0,
            seconds(value)
        );
    }
}

/// A duration as people read it: `850 ms`, `4.25 s`, `37.2 s`, `512 s`.
fn seconds(value: f64) -> String {
    match value {
        0.0 => "0 s".to_string(),
        v if v < 1.0 => format!("{:.0} ms", v * 1000.0),
        v if v < 10.0 => format!("{v:.2} s"),
        v if v < 100.0 => format!("{v:.1} s"),
        v => format!("{v:.0} s"),
    }
}

/// Text safe inside SVG.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, seq: u64, attempt: u32, start: f64, runtime: f64, ok: bool) -> Row {
        Row {
            id: id.to_string(),
            seq,
            attempt,
            backend: "local".to_string(),
            start,
            runtime,
            exit: Some(if ok { 0 } else { 3 }),
            signal: None,
            bytes_in: 10,
            bytes_out: 20,
            billed: None,
            cost: None,
            result: if ok { "ok".into() } else { "exit 3".into() },
        }
    }

    fn rows() -> Vec<Row> {
        vec![
            row("a", 0, 1, 100.0, 2.0, true),
            row("b", 1, 1, 100.0, 1.0, false),
            row("b", 1, 2, 101.5, 1.0, true),
            row("c", 2, 1, 102.0, 8.0, false),
        ]
    }

    #[test]
    fn figures_count_chunks_attempts_and_failures() {
        let f = Figures::of(&rows());
        assert_eq!((f.chunks, f.attempts, f.retries, f.failed), (3, 4, 1, 1));
        assert_eq!(f.wall, 10.0);
        assert_eq!(f.task_time, 12.0);
        assert_eq!((f.median, f.longest), (2.0, 8.0));
        assert_eq!((f.lost, f.billed, f.cost), (0, None, None));

        // A straggler lost to its backup; billed Lambda attempts.
        let mut rows = rows();
        rows.push(Row {
            result: crate::backend::LOST.to_string(),
            ..row("d", 3, 1, 100.0, 9.0, false)
        });
        rows.push(row("d", 3, 2, 104.0, 1.0, true));
        for (row, billed) in rows.iter_mut().zip([2.0, 1.0, 1.0]) {
            row.billed = Some(billed);
            row.cost = Some(billed * 1e-5);
        }
        let f = Figures::of(&rows);
        assert_eq!((f.chunks, f.attempts, f.retries, f.lost), (4, 6, 1, 1));
        assert_eq!(f.billed, Some(4.0));
        assert!((f.cost.unwrap() - 4e-5).abs() < 1e-12);
        let svg = picture(&rows);
        assert!(
            svg.contains("billed 4.00 s in all, cost $0.000040"),
            "{svg}"
        );
        assert!(svg.contains(r#"data-seq="3" data-attempt="1" "#));
        assert_eq!(svg.matches(&format!(r#"fill="{LOST}"><title>"#)).count(), 1);
    }

    #[test]
    fn one_bar_per_attempt_where_the_joblog_puts_it() {
        let svg = picture(&rows());
        let bars: Vec<&str> = svg
            .lines()
            .filter(|l| l.contains(r#"class="attempt""#))
            .collect();
        assert_eq!(bars.len(), 4);
        // c starts 2 s into a 10 s run and lasts 8 s: from 20 % of the width to the end.
        let c = bars.iter().find(|l| l.contains(r#"data-seq="2""#)).unwrap();
        let expected = format!(r#"x="{:.2}""#, LEFT + 0.2 * WIDTH);
        assert!(
            c.contains(&expected) && c.contains(&format!(r#"width="{:.2}""#, 0.8 * WIDTH)),
            "{c}"
        );
        assert!(c.contains(FAILED));
        let retry = bars
            .iter()
            .find(|l| l.contains(r#"data-attempt="2""#))
            .unwrap();
        assert!(retry.contains(OK_RETRY));
        assert_eq!(
            svg.lines()
                .filter(|l| l.contains(r#"class="duration""#))
                .count(),
            30
        );
    }
}
