//! The file layouts Airlock reads, told apart by their header line.

use std::fmt;

/// A CSV candle layout, detected from the first line of the file.
///
/// Header names are matched case-insensitively and in any order; a column the layout does not
/// know is an error naming it (no layout admits extra columns), as is a missing or repeated one.
/// Every layout is comma-separated except [`Layout::HistData`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Layout {
    /// A pandas `DataFrame.to_csv` export: `,Open,High,Low,Close,Volume`, the first column unnamed
    /// (the index) holding `YYYY-MM-DD` or `YYYY-MM-DD HH:MM:SS`. Carries no adjustment data.
    PandasIndex,
    /// Yahoo Finance's download: `Date,Open,High,Low,Close,Adj Close,Volume`. OHLC and volume are
    /// already split-adjusted; `Adj Close` also folds in dividends.
    Yahoo,
    /// The plain layout: `timestamp,open,high,low,close,volume` (the time column may also be
    /// called `date`, `datetime` or `time`), with any timestamp form the reader accepts
    /// (`2021-12-31 23:01:00.000000`, `2021-04-21`, `2021-04-21T13:30:00Z`). Carries no
    /// adjustment data.
    Plain,
    /// Alpha Vantage `TIME_SERIES_DAILY_ADJUSTED`: `timestamp,open,high,low,close,adjusted_close,
    /// volume,dividend_amount,split_coefficient`. Raw traded prices plus the corporate actions
    /// needed to adjust them.
    AlphaVantage,
    /// HistData.com "Generic ASCII M1": no header, `YYYYMMDD HHMMSS;open;high;low;close;volume`,
    /// semicolon-separated. Carries no adjustment data.
    HistData,
}

impl Layout {
    /// A short lowercase name for logs and reports: `pandas`, `yahoo`, `plain`, `alphavantage`,
    /// `histdata`.
    pub fn name(self) -> &'static str {
        match self {
            Layout::PandasIndex => "pandas",
            Layout::Yahoo => "yahoo",
            Layout::Plain => "plain",
            Layout::AlphaVantage => "alphavantage",
            Layout::HistData => "histdata",
        }
    }
}

impl fmt::Display for Layout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Time,
    Open,
    High,
    Low,
    Close,
    Volume,
    AdjClose,
    Dividend,
    Split,
}

impl Role {
    fn of(name: &str, position: usize) -> Option<Role> {
        let role = match name.to_ascii_lowercase().as_str() {
            "" if position == 0 => Role::Time,
            "timestamp" | "date" | "datetime" | "time" => Role::Time,
            "open" => Role::Open,
            "high" => Role::High,
            "low" => Role::Low,
            "close" => Role::Close,
            "volume" => Role::Volume,
            "adj close" | "adj_close" | "adjusted_close" => Role::AdjClose,
            "dividend_amount" => Role::Dividend,
            "split_coefficient" => Role::Split,
            _ => return None,
        };
        Some(role)
    }

    fn canonical(self) -> &'static str {
        match self {
            Role::Time => "timestamp",
            Role::Open => "open",
            Role::High => "high",
            Role::Low => "low",
            Role::Close => "close",
            Role::Volume => "volume",
            Role::AdjClose => "adjusted_close",
            Role::Dividend => "dividend_amount",
            Role::Split => "split_coefficient",
        }
    }
}

const BASE: [Role; 6] = [
    Role::Time,
    Role::Open,
    Role::High,
    Role::Low,
    Role::Close,
    Role::Volume,
];

/// Where each field sits in a row, and the column names to quote in errors.
#[derive(Debug, Clone)]
pub(crate) struct Columns {
    pub(crate) layout: Layout,
    pub(crate) separator: u8,
    pub(crate) count: usize,
    pub(crate) time: usize,
    pub(crate) open: usize,
    pub(crate) high: usize,
    pub(crate) low: usize,
    pub(crate) close: usize,
    pub(crate) volume: usize,
    pub(crate) adj_close: Option<usize>,
    pub(crate) dividend: Option<usize>,
    pub(crate) split: Option<usize>,
    names: Vec<String>,
}

impl Columns {
    /// The name of column `index` as the file wrote it (`index` for pandas' unnamed column).
    pub(crate) fn name(&self, index: usize) -> &str {
        self.names.get(index).map_or("?", String::as_str)
    }

    /// HistData's fixed, headerless columns.
    fn histdata() -> Self {
        Self {
            layout: Layout::HistData,
            separator: b';',
            count: 6,
            time: 0,
            open: 1,
            high: 2,
            low: 3,
            close: 4,
            volume: 5,
            adj_close: None,
            dividend: None,
            split: None,
            names: ["datetime", "open", "high", "low", "close", "volume"]
                .map(String::from)
                .to_vec(),
        }
    }
}

/// The outcome of reading the first line.
#[derive(Debug)]
pub(crate) enum Detected {
    /// The first line is a header; data starts on line 2.
    Header(Columns),
    /// The file has no header (HistData); the first line is already data.
    Headerless(Columns),
    /// Not a candle file: why.
    NotCsv(String),
    /// A candle header with wrong columns: why.
    BadHeader(String),
}

/// Reads the first line (without its line ending) and decides the layout.
pub(crate) fn detect(first_line: &[u8]) -> Detected {
    if looks_like_histdata(first_line) {
        return Detected::Headerless(Columns::histdata());
    }
    let text = String::from_utf8_lossy(first_line);
    let names: Vec<String> = text
        .split(',')
        .map(|name| name.trim().trim_matches('"').to_owned())
        .collect();
    let roles: Vec<Option<Role>> = names
        .iter()
        .enumerate()
        .map(|(position, name)| Role::of(name, position))
        .collect();
    let prices = roles
        .iter()
        .filter(|role| {
            matches!(
                role,
                Some(Role::Open | Role::High | Role::Low | Role::Close)
            )
        })
        .count();
    if prices == 0 {
        return Detected::NotCsv(format!(
            "the first line is {}, not a header such as timestamp,open,high,low,close,volume",
            quote_short(&text)
        ));
    }
    match columns(names, &roles) {
        Ok(columns) => Detected::Header(columns),
        Err(reason) => Detected::BadHeader(reason),
    }
}

fn columns(mut names: Vec<String>, roles: &[Option<Role>]) -> Result<Columns, String> {
    let unknown: Vec<String> = names
        .iter()
        .zip(roles)
        .filter(|(_, role)| role.is_none())
        .map(|(name, _)| format!("{name:?}"))
        .collect();
    if !unknown.is_empty() {
        return Err(format!(
            "unknown column{} {}; known columns are timestamp (or date), open, high, low, close, \
             volume, adj close, adjusted_close, dividend_amount, split_coefficient",
            plural(unknown.len()),
            unknown.join(", ")
        ));
    }
    let find = |wanted: Role| -> Result<Option<usize>, String> {
        let mut found = roles
            .iter()
            .enumerate()
            .filter(|(_, role)| **role == Some(wanted));
        let first = found.next().map(|(index, _)| index);
        if found.next().is_some() {
            return Err(format!("column \"{}\" appears twice", wanted.canonical()));
        }
        Ok(first)
    };
    let mut missing = Vec::new();
    let mut base = [0_usize; 6];
    for (slot, role) in base.iter_mut().zip(BASE) {
        match find(role)? {
            Some(index) => *slot = index,
            None => missing.push(role.canonical()),
        }
    }
    let adj_close = find(Role::AdjClose)?;
    let dividend = find(Role::Dividend)?;
    let split = find(Role::Split)?;
    let layout = match (adj_close, dividend, split) {
        (_, None, None) if adj_close.is_some() => Layout::Yahoo,
        (None, None, None) if base[0] == 0 && names.first().is_some_and(String::is_empty) => {
            Layout::PandasIndex
        }
        (None, None, None) => Layout::Plain,
        _ => {
            // Some of Alpha Vantage's adjustment columns: all three are needed.
            for (found, role) in [
                (adj_close, Role::AdjClose),
                (dividend, Role::Dividend),
                (split, Role::Split),
            ] {
                if found.is_none() {
                    missing.push(role.canonical());
                }
            }
            Layout::AlphaVantage
        }
    };
    if !missing.is_empty() {
        return Err(format!(
            "missing column{} {} for the {layout} layout",
            plural(missing.len()),
            missing
                .iter()
                .map(|name| format!("\"{name}\""))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if layout == Layout::PandasIndex
        && let Some(first) = names.first_mut()
    {
        "index".clone_into(first);
    }
    let [time, open, high, low, close, volume] = base;
    Ok(Columns {
        layout,
        separator: b',',
        count: names.len(),
        time,
        open,
        high,
        low,
        close,
        volume,
        adj_close,
        dividend,
        split,
        names,
    })
}

/// `YYYYMMDD HHMMSS;` — HistData's headerless first row.
fn looks_like_histdata(line: &[u8]) -> bool {
    line.len() > 16
        && line
            .get(..8)
            .is_some_and(|date| date.iter().all(u8::is_ascii_digit))
        && line.get(8) == Some(&b' ')
        && line
            .get(9..15)
            .is_some_and(|time| time.iter().all(u8::is_ascii_digit))
        && line.get(15) == Some(&b';')
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}

/// The text quoted, cut to 60 characters so that one line of binary or JSON stays one line.
pub(crate) fn quote_short(text: &str) -> String {
    const MAX: usize = 60;
    if text.chars().count() <= MAX {
        format!("{text:?}")
    } else {
        let head: String = text.chars().take(MAX).collect();
        format!("{head:?}…")
    }
}
