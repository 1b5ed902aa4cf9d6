//! Text formatting shared by the terminal table and the HTML page.

use crate::stats::Statistics;

/// Escapes `&`, `<`, `>`, `"` and `'` so that any text is safe in HTML content and attributes.
pub(crate) fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

/// `value` with `decimals` decimals and thousands separators: `1234567.891` → `1,234,567.89`.
pub(crate) fn grouped(value: f64, decimals: usize) -> String {
    if !value.is_finite() {
        return "-".to_owned();
    }
    let text = format!("{:.*}", decimals, value.abs());
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (text.as_str(), None),
    };
    let mut out = String::with_capacity(text.len() + whole.len() / 3 + 1);
    // "-0.00" would read as a loss: only show the sign when a digit survives the rounding.
    if value < 0.0
        && text
            .bytes()
            .any(|byte| byte.is_ascii_digit() && byte != b'0')
    {
        out.push('-');
    }
    for (index, digit) in whole.chars().enumerate() {
        if index > 0 && (whole.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    if let Some(fraction) = fraction {
        out.push('.');
        out.push_str(fraction);
    }
    out
}

fn optional(value: Option<f64>, render: impl Fn(f64) -> String) -> String {
    value.map_or_else(|| "-".to_owned(), render)
}

fn percent(value: f64) -> String {
    format!("{}%", grouped(value, 2))
}

fn ratio(value: f64) -> String {
    grouped(value, 2)
}

fn money(value: f64) -> String {
    grouped(value, 2)
}

/// The key statistics as (label, value) rows, in reading order; undefined values show as `-`.
pub(crate) fn stat_rows(stats: &Statistics) -> Vec<(&'static str, String)> {
    let time = |time: Option<airlock_core::UnixNanos>| {
        time.map_or_else(|| "-".to_owned(), |t| t.to_string())
    };
    vec![
        ("start", time(stats.start)),
        ("end", time(stats.end)),
        ("bars", grouped_count(stats.bars)),
        ("initial cash", money(stats.initial_cash)),
        ("final equity", money(stats.final_equity)),
        ("total return", optional(stats.total_return_pct, percent)),
        ("cagr", optional(stats.cagr_pct, percent)),
        (
            "annual volatility",
            optional(stats.annual_volatility_pct, percent),
        ),
        ("sharpe", optional(stats.sharpe, ratio)),
        ("sortino", optional(stats.sortino, ratio)),
        ("max drawdown", percent(stats.max_drawdown_pct)),
        (
            "max drawdown duration",
            format!("{} days", grouped(stats.max_drawdown_days, 1)),
        ),
        ("calmar", optional(stats.calmar, ratio)),
        ("trades", grouped_count(stats.trades)),
        ("win rate", optional(stats.win_rate_pct, percent)),
        ("profit factor", optional(stats.profit_factor, ratio)),
        ("avg win", optional(stats.avg_win, money)),
        ("avg loss", optional(stats.avg_loss, money)),
        ("expectancy", optional(stats.expectancy, money)),
        ("best trade", optional(stats.best_trade, money)),
        ("worst trade", optional(stats.worst_trade, money)),
        (
            "avg holding",
            optional(stats.avg_holding_days, |days| {
                format!("{} days", grouped(days, 1))
            }),
        ),
        ("exposure", optional(stats.exposure_pct, percent)),
        ("fees", money(stats.fees)),
        ("periods per year", grouped(stats.periods_per_year, 1)),
    ]
}

fn grouped_count(count: u64) -> String {
    let digits = count.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grouped_adds_separators_and_keeps_the_sign() {
        assert_eq!(grouped(1_234_567.891, 2), "1,234,567.89");
        assert_eq!(grouped(-1_234.5, 1), "-1,234.5");
        assert_eq!(grouped(999.0, 0), "999");
        assert_eq!(grouped(-0.001, 2), "0.00");
        assert_eq!(grouped(f64::NAN, 2), "-");
        assert_eq!(grouped_count(1_000_000), "1,000,000");
        assert_eq!(grouped_count(12), "12");
    }

    #[test]
    fn escaping_neutralises_markup_and_quotes() {
        assert_eq!(
            escape_html(r#"<script>alert("x" & 'y')</script>"#),
            "&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;"
        );
    }
}
