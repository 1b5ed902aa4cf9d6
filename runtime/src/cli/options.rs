//! Options shared by `backtest` and `sweep`, and turning them into a run.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::str::FromStr;

use airlock::data::{Adjust, CsvOptions, read_csv};
use airlock_backtest::{BacktestConfig, Series, Sizing, backtest_limits};
use airlock_brokers::matching::{EngineConfig, FeeSchedule, FillModel};
use airlock_core::{Money, Quantity, Rate, Symbol, TimeRange, UnixNanos};
use anyhow::{Context, bail};
use clap::Args;

/// How a run is set up: data, strategy, money, fees, fills.
#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    /// Candle files (CSV, optionally gzip-compressed); one symbol per file, named after the file
    /// (DA-AAPL-T-2021-04-21.csv.gz is AAPL). Several files are replayed together, merged by time.
    /// Required with --source csv (the default).
    #[arg(long, num_args = 1.., value_name = "FILE")]
    pub(crate) data: Vec<PathBuf>,
    #[command(flatten)]
    pub(crate) source: super::source::SourceArgs,
    /// Strategy name (see `airlock strategies`).
    #[arg(long, default_value = "sma_cross", value_name = "NAME")]
    pub(crate) strategy: String,
    /// A strategy parameter, repeatable: --param fast=20 --param slow=50.
    #[arg(long = "param", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    pub(crate) params: Vec<(String, String)>,
    /// Starting cash.
    #[arg(
        long,
        default_value = "100000",
        value_name = "AMOUNT",
        allow_negative_numbers = true
    )]
    pub(crate) cash: Money,
    /// Commission in basis points of each fill's notional (5 = 0.05%).
    #[arg(
        long,
        default_value = "0",
        value_name = "BPS",
        allow_negative_numbers = true
    )]
    pub(crate) commission_bps: Rate,
    /// Minimum commission per order, in account currency.
    #[arg(
        long,
        default_value = "0",
        value_name = "AMOUNT",
        allow_negative_numbers = true
    )]
    pub(crate) min_commission: Money,
    /// Slippage in basis points, applied against you on market and stop fills.
    #[arg(
        long,
        default_value = "0",
        value_name = "BPS",
        allow_negative_numbers = true
    )]
    pub(crate) slippage_bps: Rate,
    /// At most this fraction of a bar's volume fills (the rest stays working); unset = no cap.
    /// Files with zero volume (FX quotes) then never fill.
    #[arg(long, value_name = "FRACTION", allow_negative_numbers = true)]
    pub(crate) participation: Option<Rate>,
    /// Position size for a long or short signal: fixed:QTY (units) or equity:FRACTION (of current
    /// equity, whole units, after commission).
    #[arg(long, default_value = "equity:0.95", value_name = "RULE")]
    pub(crate) sizing: Sizing,
    /// next_open: orders decided on a bar fill at the next bar's open (stops and limits on its
    /// high/low, gaps fill at the open). close: market orders fill at the deciding bar's close.
    #[arg(long, default_value = "next_open", value_name = "MODEL")]
    pub(crate) fill: FillModel,
    /// Corporate-action adjustment for files that carry it: all (splits and dividends), splits,
    /// or none (raw prices).
    #[arg(long, default_value = "all", value_name = "WHAT")]
    pub(crate) adjust: Adjust,
    /// First day to replay (YYYY-MM-DD, UTC, inclusive).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub(crate) from: Option<UnixNanos>,
    /// Day to stop before (YYYY-MM-DD, UTC, exclusive).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub(crate) to: Option<UnixNanos>,
    /// Risk: largest gross exposure as a multiple of equity (1 = cash account; 2 = 2:1 margin).
    #[arg(long, default_value = "1", value_name = "MULTIPLE", value_parser = parse_positive_rate)]
    pub(crate) max_leverage: Rate,
    /// Risk: largest notional of one order (default 1,000 × --cash).
    #[arg(long, value_name = "AMOUNT", allow_negative_numbers = true)]
    pub(crate) max_order_notional: Option<Money>,
    /// Risk: largest absolute position per symbol in units (default 1,000,000,000).
    #[arg(long, value_name = "UNITS", allow_negative_numbers = true)]
    pub(crate) max_position: Option<Quantity>,
    /// Risk: a loss within one UTC day above this halts trading for the rest of the run
    /// (default 1,000 × --cash).
    #[arg(long, value_name = "AMOUNT", allow_negative_numbers = true)]
    pub(crate) max_daily_loss: Option<Money>,
    /// Risk: a fall from the day's peak equity above this fraction (0.05 = 5 %) allows only
    /// reducing orders for the rest of the run (default 1).
    #[arg(long, value_name = "FRACTION", allow_negative_numbers = true)]
    pub(crate) max_drawdown: Option<Rate>,
    /// Risk: a symbol no order may trade, repeatable.
    #[arg(long = "block", value_name = "SYMBOL")]
    pub(crate) blocked: Vec<Symbol>,
    /// Run id, part of every client order id ({strategy}-{run}-{n}).
    #[arg(long, default_value = "bt", value_name = "ID")]
    pub(crate) run_id: String,
}

fn parse_positive_rate(text: &str) -> Result<Rate, String> {
    match Rate::from_str(text) {
        Ok(rate) if rate.is_positive() => Ok(rate),
        _ => Err(format!(
            "{text:?} is not a positive number (every risk limit is explicit: there is no \"none\")"
        )),
    }
}

fn parse_key_value(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() && !value.is_empty() => {
            Ok((key.to_owned(), value.to_owned()))
        }
        _ => Err(format!("{text:?} is not KEY=VALUE")),
    }
}

fn parse_date(text: &str) -> Result<UnixNanos, String> {
    let parts: Vec<&str> = text.split('-').collect();
    let numbers: Option<Vec<u32>> = parts.iter().map(|part| part.parse().ok()).collect();
    match (parts.len(), numbers.as_deref()) {
        (3, Some(&[year, month, day])) => i32::try_from(year)
            .ok()
            .and_then(|year| UnixNanos::from_civil(year, month, day, 0, 0, 0, 0))
            .ok_or_else(|| format!("{text:?} is not a valid date")),
        _ => Err(format!("{text:?} is not a date (YYYY-MM-DD)")),
    }
}

impl RunArgs {
    /// Reads every data file, keeping the candles within --from/--to.
    pub(crate) fn load(&self) -> anyhow::Result<Vec<Series>> {
        if let (Some(from), Some(to)) = (self.from, self.to)
            && to <= from
        {
            bail!("--to {to} must be after --from {from}");
        }
        let range = TimeRange {
            start: self.from,
            end: self.to,
        };
        if self.source.source != super::source::SourceKind::Csv {
            if !self.data.is_empty() {
                bail!(
                    "--data is for --source csv; with --source {} name symbols with --symbol",
                    self.source.source_name()
                );
            }
            let series: Vec<Series> = self
                .source
                .load(range)?
                .into_iter()
                .map(|(symbol, candles)| Series { symbol, candles })
                .collect();
            if series.iter().all(|one| one.candles.is_empty()) {
                bail!("no candles between --from and --to for the given symbols");
            }
            return Ok(series);
        }
        if self.data.is_empty() {
            bail!("--data FILE... is required with --source csv (the default)");
        }
        let options = CsvOptions {
            adjust: self.adjust,
            symbol: None,
        };
        let mut series: Vec<Series> = Vec::with_capacity(self.data.len());
        for path in &self.data {
            // Files are moved into the series, not copied: a minute file can hold millions of bars.
            let mut file = read_csv(path, &options)?;
            if let Some(index) = series.iter().position(|one| one.symbol == file.symbol) {
                let first = self
                    .data
                    .get(index)
                    .map_or_else(String::new, |p| p.display().to_string());
                bail!(
                    "symbol {} is given twice: by {first} and by {}",
                    file.symbol,
                    path.display()
                );
            }
            if range != TimeRange::ALL {
                file.candles.retain(|candle| range.contains(candle.ts()));
            }
            series.push(Series {
                symbol: file.symbol,
                candles: file.candles,
            });
        }
        if series.iter().all(|one| one.candles.is_empty()) {
            bail!("no candles between --from and --to in the given files");
        }
        Ok(series)
    }

    /// The backtest configuration.
    pub(crate) fn config(&self) -> anyhow::Result<BacktestConfig> {
        if !self.cash.is_positive() {
            bail!("--cash must be positive, got {}", self.cash);
        }
        let commission =
            Rate::from_bps(self.commission_bps).context("--commission-bps is out of range")?;
        let slippage =
            Rate::from_bps(self.slippage_bps).context("--slippage-bps is out of range")?;
        if commission.is_negative() || slippage.is_negative() || self.min_commission.is_negative() {
            bail!("--commission-bps, --min-commission and --slippage-bps must not be negative");
        }
        if let Some(fraction) = self.participation
            && (!fraction.is_positive() || fraction > Rate::ONE)
        {
            bail!("--participation must be above 0 and at most 1, got {fraction}");
        }
        Ok(BacktestConfig {
            initial_cash: self.cash,
            engine: EngineConfig {
                fill_model: self.fill,
                fees: FeeSchedule {
                    rate: commission,
                    minimum_per_order: self.min_commission,
                },
                slippage,
                participation: self.participation,
            },
            sizing: self.sizing,
            risk: self.risk_limits()?,
            run_id: self.run_id.clone(),
        })
    }

    /// The backtest risk profile with the flags applied.
    fn risk_limits(&self) -> anyhow::Result<airlock_risk::RiskLimits> {
        let mut limits = backtest_limits(self.cash, self.max_leverage);
        if let Some(notional) = self.max_order_notional {
            limits.max_order_notional = Some(notional);
        }
        if let Some(position) = self.max_position {
            limits.max_position = Some(position);
        }
        if let Some(loss) = self.max_daily_loss {
            limits.max_daily_loss = Some(loss);
        }
        if let Some(fraction) = self.max_drawdown {
            if !fraction.is_positive() {
                bail!("--max-drawdown must be above 0, got {fraction}");
            }
            limits.max_drawdown_fraction = Some(fraction);
        }
        limits.blocked_symbols = Some(self.blocked.clone());
        Ok(limits)
    }

    /// The run's description for reports: deterministic, no wall-clock times.
    pub(crate) fn meta(
        &self,
        series: &[Series],
        params: &[(String, String)],
    ) -> BTreeMap<String, String> {
        let mut meta = BTreeMap::new();
        meta.insert("airlock_version".into(), env!("CARGO_PKG_VERSION").into());
        meta.insert("mode".into(), "backtest".into());
        meta.insert("strategy".into(), self.strategy.clone());
        let params: Vec<String> = params
            .iter()
            .map(|(key, value)| format!("{key}={value}"))
            .collect();
        meta.insert("params".into(), params.join(" "));
        let symbols: Vec<&str> = series.iter().map(|one| one.symbol.as_str()).collect();
        meta.insert("symbols".into(), symbols.join(" "));
        let files: Vec<String> = self
            .data
            .iter()
            .map(|path| path.display().to_string())
            .collect();
        if self.source.source == super::source::SourceKind::Csv {
            meta.insert("data".into(), files.join(" "));
        } else {
            meta.insert("source".into(), self.source.source_name().into());
        }
        meta.insert("fill".into(), self.fill.to_string());
        meta.insert("sizing".into(), self.sizing.to_string());
        meta.insert("cash".into(), self.cash.to_string());
        meta.insert("commission_bps".into(), self.commission_bps.to_string());
        meta.insert("min_commission".into(), self.min_commission.to_string());
        meta.insert("slippage_bps".into(), self.slippage_bps.to_string());
        meta.insert("adjust".into(), self.adjust.to_string());
        meta.insert("max_leverage".into(), self.max_leverage.to_string());
        for (key, value) in [
            (
                "max_order_notional",
                self.max_order_notional.map(|v| v.to_string()),
            ),
            ("max_position", self.max_position.map(|v| v.to_string())),
            ("max_daily_loss", self.max_daily_loss.map(|v| v.to_string())),
            ("max_drawdown", self.max_drawdown.map(|v| v.to_string())),
        ] {
            if let Some(value) = value {
                meta.insert(key.into(), value);
            }
        }
        if !self.blocked.is_empty() {
            let blocked: Vec<&str> = self.blocked.iter().map(Symbol::as_str).collect();
            meta.insert("blocked_symbols".into(), blocked.join(" "));
        }
        if let Some(fraction) = self.participation {
            meta.insert("participation".into(), fraction.to_string());
        }
        let first = series
            .iter()
            .filter_map(|one| one.candles.first())
            .map(|c| c.ts())
            .min();
        let last = series
            .iter()
            .filter_map(|one| one.candles.last())
            .map(|c| c.ts())
            .max();
        if let (Some(first), Some(last)) = (first, last) {
            meta.insert("period".into(), format!("{first} .. {last}"));
        }
        meta
    }
}
