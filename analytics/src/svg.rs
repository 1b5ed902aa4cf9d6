//! Inline SVG line charts with labelled axes, and the downsampling that keeps them small.

use std::io::{self, Write};

use crate::format::{escape_html, grouped};

/// Series longer than this are downsampled before drawing.
pub(crate) const MAX_POINTS: usize = 2_000;

const WIDTH: f64 = 960.0;
const HEIGHT: f64 = 300.0;
const LEFT: f64 = 88.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 34.0;
const X_TICKS: u32 = 6;
const Y_TICKS: f64 = 5.0;

/// How the values of a chart read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unit {
    /// Money in the account currency.
    Money,
    /// A percentage.
    Percent,
}

/// One line chart: a time series, what it means, and which points must survive downsampling.
pub(crate) struct Chart<'a> {
    /// Text for screen readers and the tooltip (`<title>`).
    pub(crate) title: &'a str,
    /// Timestamps (UTC nanoseconds), ascending.
    pub(crate) times: &'a [u64],
    /// Values, aligned with `times`.
    pub(crate) values: &'a [f64],
    /// How the values read.
    pub(crate) unit: Unit,
    /// Fill between the line and zero (for drawdown).
    pub(crate) area: bool,
    /// A dashed horizontal reference line (the initial cash).
    pub(crate) baseline: Option<f64>,
    /// Points to mark with a dot and a label; they are always kept.
    pub(crate) markers: &'a [(usize, &'a str)],
}

/// Indices of at most about `max_points` points that keep the shape of `values`: the first and
/// the last point, every index in `keep`, and the minimum and the maximum of each of
/// `max_points / 2` equal buckets, in ascending order.
pub(crate) fn downsample(values: &[f64], keep: &[usize], max_points: usize) -> Vec<usize> {
    let length = values.len();
    if length <= max_points {
        return (0..length).collect();
    }
    let buckets = (max_points.saturating_sub(keep.len() + 2) / 2).max(1);
    let mut picked: Vec<usize> = Vec::with_capacity(2 * buckets + keep.len() + 2);
    picked.extend([0, length - 1]);
    picked.extend(keep.iter().copied().filter(|index| *index < length));
    for bucket in 0..buckets {
        let start = bucket * length / buckets;
        let end = (bucket + 1) * length / buckets;
        let Some(slice) = values.get(start..end) else {
            continue;
        };
        let mut lowest = None::<(usize, f64)>;
        let mut highest = None::<(usize, f64)>;
        for (offset, &value) in slice.iter().enumerate() {
            if lowest.is_none_or(|(_, low)| value < low) {
                lowest = Some((start + offset, value));
            }
            if highest.is_none_or(|(_, high)| value > high) {
                highest = Some((start + offset, value));
            }
        }
        picked.extend(lowest.map(|(index, _)| index));
        picked.extend(highest.map(|(index, _)| index));
    }
    picked.sort_unstable();
    picked.dedup();
    picked
}

/// Writes the chart as an `<svg>` element, or a short note when there is nothing to draw.
pub(crate) fn write_chart(out: &mut impl Write, chart: &Chart<'_>) -> io::Result<()> {
    let count = chart.times.len().min(chart.values.len());
    if count == 0 {
        return writeln!(out, "<p class=\"note\">No data to chart.</p>");
    }
    let keep: Vec<usize> = chart.markers.iter().map(|(index, _)| *index).collect();
    let indices = downsample(
        chart.values.get(..count).unwrap_or_default(),
        &keep,
        MAX_POINTS,
    );
    let mut low = f64::INFINITY;
    let mut high = f64::NEG_INFINITY;
    for value in chart.values.iter().take(count).chain(chart.baseline.iter()) {
        low = low.min(*value);
        high = high.max(*value);
    }
    if chart.area {
        high = high.max(0.0);
        low = low.min(0.0);
    }
    let (ticks, step) = nice_ticks(low, high);
    let bottom_value = ticks.first().copied().unwrap_or(low);
    let top_value = ticks.last().copied().unwrap_or(high);
    let first_time = chart.times.first().copied().unwrap_or(0);
    let last_time = chart.times.get(count - 1).copied().unwrap_or(first_time);
    let frame = Frame {
        first_time,
        last_time,
        bottom_value,
        top_value,
    };
    writeln!(
        out,
        "<svg class=\"chart\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" xmlns=\"http://www.w3.org/2000/svg\">"
    )?;
    writeln!(out, "<title>{}</title>", escape_html(chart.title))?;
    let plot_right = WIDTH - RIGHT;
    let plot_bottom = HEIGHT - BOTTOM;
    let scale_max = ticks.iter().fold(0.0f64, |max, tick| max.max(tick.abs()));
    for tick in &ticks {
        let y = frame.y(*tick);
        writeln!(
            out,
            "<line class=\"grid\" x1=\"{LEFT}\" y1=\"{y:.1}\" x2=\"{plot_right}\" y2=\"{y:.1}\"/><text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            LEFT - 6.0,
            y + 4.0,
            axis_value(*tick, step, scale_max, chart.unit)
        )?;
    }
    let time_labels = time_ticks(first_time, last_time);
    let last_label = time_labels.len().saturating_sub(1);
    for (number, (x, label)) in time_labels.into_iter().enumerate() {
        let x = frame.x(x);
        // The last label ends at the right edge instead of overflowing it.
        let anchor = if number == last_label && number > 0 {
            "end"
        } else {
            "middle"
        };
        writeln!(
            out,
            "<line class=\"axis\" x1=\"{x:.1}\" y1=\"{plot_bottom}\" x2=\"{x:.1}\" y2=\"{:.1}\"/><text class=\"tick\" x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\">{}</text>",
            plot_bottom + 5.0,
            plot_bottom + 20.0,
            escape_html(&label)
        )?;
    }
    writeln!(
        out,
        "<line class=\"axis\" x1=\"{LEFT}\" y1=\"{plot_bottom}\" x2=\"{plot_right}\" y2=\"{plot_bottom}\"/>"
    )?;
    if let Some(baseline) = chart.baseline {
        let y = frame.y(baseline);
        writeln!(
            out,
            "<line class=\"baseline\" x1=\"{LEFT}\" y1=\"{y:.1}\" x2=\"{plot_right}\" y2=\"{y:.1}\"/>"
        )?;
    }
    let mut points = String::with_capacity(indices.len() * 14);
    for &index in &indices {
        if let (Some(&time), Some(&value)) = (chart.times.get(index), chart.values.get(index)) {
            points.push_str(&format!("{:.1},{:.1} ", frame.x(time), frame.y(value)));
        }
    }
    let points = points.trim_end();
    if chart.area {
        let zero = frame.y(0.0);
        writeln!(
            out,
            "<path class=\"area\" d=\"M{:.1},{zero:.1} L{points} L{:.1},{zero:.1} Z\"/>",
            frame.x(first_time),
            frame.x(last_time)
        )?;
    }
    writeln!(out, "<polyline class=\"line\" points=\"{points}\"/>")?;
    for &(index, label) in chart.markers {
        if let (Some(&time), Some(&value)) = (chart.times.get(index), chart.values.get(index)) {
            let (x, y) = (frame.x(time), frame.y(value));
            let anchor = if x > WIDTH * 0.8 { "end" } else { "start" };
            let offset = if anchor == "end" { -6.0 } else { 6.0 };
            writeln!(
                out,
                "<circle class=\"marker\" cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3.5\"/><text class=\"marker-label\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\">{}</text>",
                x + offset,
                (y - 6.0).max(TOP + 8.0),
                escape_html(label)
            )?;
        }
    }
    writeln!(out, "</svg>")
}

/// Maps time and value to the plot area.
struct Frame {
    first_time: u64,
    last_time: u64,
    bottom_value: f64,
    top_value: f64,
}

impl Frame {
    #[expect(
        clippy::cast_precision_loss,
        reason = "chart coordinates need no nanosecond precision"
    )]
    fn x(&self, time: u64) -> f64 {
        let span = self.last_time.saturating_sub(self.first_time) as f64;
        let width = WIDTH - RIGHT - LEFT;
        if span <= 0.0 {
            return LEFT + width / 2.0;
        }
        LEFT + time.saturating_sub(self.first_time) as f64 / span * width
    }

    fn y(&self, value: f64) -> f64 {
        let span = self.top_value - self.bottom_value;
        let height = HEIGHT - BOTTOM - TOP;
        if span <= 0.0 {
            return TOP + height / 2.0;
        }
        TOP + (self.top_value - value) / span * height
    }
}

/// Round tick values covering `[low, high]` with about five steps of 1, 2 or 5 × 10ᵏ, and the step.
pub(crate) fn nice_ticks(low: f64, high: f64) -> (Vec<f64>, f64) {
    let (low, high) = if high > low {
        (low, high)
    } else {
        let pad = if low.abs() > 0.0 {
            low.abs() * 0.01
        } else {
            1.0
        };
        (low - pad, high + pad)
    };
    let step = nice_step((high - low) / Y_TICKS);
    let first = (low / step).floor() * step;
    let mut ticks = Vec::new();
    let mut tick = first;
    while ticks.len() < 20 {
        // Snap away floating noise such as 0.30000000000000004.
        ticks.push((tick / step).round() * step);
        if tick >= high - step * 1e-9 {
            break;
        }
        tick += step;
    }
    (ticks, step)
}

/// The smallest of 1, 2, 5 × 10ᵏ that is at least `raw` (1 for a non-positive or odd input).
fn nice_step(raw: f64) -> f64 {
    if !(raw.is_finite() && raw > 0.0) {
        return 1.0;
    }
    let mut magnitude = 1.0f64;
    while magnitude * 10.0 <= raw {
        magnitude *= 10.0;
    }
    while magnitude > raw {
        magnitude /= 10.0;
    }
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|factor| factor * magnitude)
        .find(|candidate| *candidate >= raw)
        .unwrap_or(magnitude * 10.0)
}

/// Decimals needed to show multiples of `step` (0 for steps of 1 and more, at most 9).
fn decimals_for(step: f64) -> usize {
    let mut decimals = 0;
    let mut scaled = step;
    while scaled < 0.999_999 && decimals < 9 {
        scaled *= 10.0;
        decimals += 1;
    }
    decimals
}

/// A y-axis label: thousands separators, `M` for millions, `%` for percentages.
fn axis_value(value: f64, step: f64, scale_max: f64, unit: Unit) -> String {
    match unit {
        Unit::Percent => format!("{}%", grouped(value, decimals_for(step))),
        Unit::Money if scale_max >= 1e6 => {
            format!("{}M", grouped(value / 1e6, decimals_for(step / 1e6)))
        }
        Unit::Money => grouped(value, decimals_for(step)),
    }
}

/// Up to six evenly spaced x-axis ticks with date labels whose precision suits the span.
fn time_ticks(first: u64, last: u64) -> Vec<(u64, String)> {
    const DAY: u64 = 86_400_000_000_000;
    let span = last.saturating_sub(first);
    let label = |time: u64| {
        let (year, month, day, hour, minute, _, _) = airlock_core::UnixNanos::new(time).to_civil();
        if span > 730 * DAY {
            format!("{year:04}-{month:02}")
        } else if span > 3 * DAY {
            format!("{year:04}-{month:02}-{day:02}")
        } else {
            format!("{month:02}-{day:02} {hour:02}:{minute:02}")
        }
    };
    if span == 0 {
        return vec![(first, label(first))];
    }
    (0..X_TICKS)
        .map(|tick| {
            let offset = u128::from(span) * u128::from(tick) / u128::from(X_TICKS - 1);
            let time = first.saturating_add(u64::try_from(offset).unwrap_or(u64::MAX));
            (time, label(time))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * b.abs().max(1.0)
    }

    #[test]
    fn nice_steps_are_one_two_or_five_times_a_power_of_ten() {
        assert!(close(nice_step(0.7), 1.0));
        assert!(close(nice_step(1.3), 2.0));
        assert!(close(nice_step(3.0), 5.0));
        assert!(close(nice_step(7_000.0), 10_000.0));
        assert!(close(nice_step(0.013), 0.02));
        let (ticks, step) = nice_ticks(97_500.0, 112_300.0);
        assert!(close(step, 5_000.0));
        assert!(close(ticks[0], 95_000.0));
        assert!(close(*ticks.last().unwrap(), 115_000.0));
    }

    #[test]
    fn flat_series_still_get_a_range() {
        let (ticks, _) = nice_ticks(100.0, 100.0);
        assert!(ticks.len() >= 2);
        assert!(ticks[0] < 100.0 && *ticks.last().unwrap() > 100.0);
    }

    #[test]
    fn downsampling_keeps_extremes_and_requested_points() {
        let values: Vec<f64> = (0..100_000)
            .map(|index| f64::from(index % 997) * 0.5)
            .collect();
        let mut values = values;
        values[54_321] = -1_000.0;
        values[77_777] = 10_000.0;
        let kept = downsample(&values, &[12_345], MAX_POINTS);
        assert!(kept.len() <= MAX_POINTS + 3, "{} points", kept.len());
        for index in [0, 54_321, 77_777, 12_345, 99_999] {
            assert!(kept.binary_search(&index).is_ok(), "lost {index}");
        }
        assert!(kept.windows(2).all(|pair| pair[0] < pair[1]));
        assert_eq!(
            downsample(&values[..10], &[], MAX_POINTS),
            (0..10).collect::<Vec<_>>()
        );
    }

    #[test]
    fn axis_labels_read_as_money_or_percent() {
        assert_eq!(
            axis_value(105_000.0, 5_000.0, 115_000.0, Unit::Money),
            "105,000"
        );
        assert_eq!(axis_value(2_500_000.0, 500_000.0, 3e6, Unit::Money), "2.5M");
        assert_eq!(axis_value(-12.5, 0.5, 15.0, Unit::Percent), "-12.5%");
    }

    #[test]
    fn time_ticks_label_dates_by_span() {
        let day = 86_400_000_000_000u64;
        let start = airlock_core::UnixNanos::from_civil(2020, 1, 1, 0, 0, 0, 0)
            .unwrap()
            .as_u64();
        let ticks = time_ticks(start, start + 1_000 * day);
        assert_eq!(ticks.len(), 6);
        assert_eq!(ticks[0].1, "2020-01");
        let ticks = time_ticks(start, start + 30 * day);
        assert_eq!(ticks[0].1, "2020-01-01");
        assert_eq!(ticks[5].1, "2020-01-31");
        let ticks = time_ticks(start, start + day / 2);
        assert_eq!(ticks[0].1, "01-01 00:00");
        assert_eq!(time_ticks(start, start).len(), 1);
    }
}
