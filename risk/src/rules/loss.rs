//! Daily loss and drawdown from the day's peak. They do not refuse orders themselves: a breach
//! moves the trading state (drawdown → Reducing, daily loss → Halted), and the state refuses.
//! What they do refuse is being unable to judge: no limit configured, or no equity reported.

use airlock_core::{Money, Rate, UnixNanos};

use crate::rule::{Refusal, Rule};

/// The equity of the current UTC day: where it started and its peak.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct DayTracker {
    day: Option<u64>,
    day_start: Money,
    peak: Money,
    last: Option<Money>,
    /// The largest fall the drawdown limit allows from `peak`, cached until the peak moves:
    /// (fraction it was computed for, allowed fall).
    allowed_fall: Option<(Rate, Money)>,
}

impl DayTracker {
    /// Takes a new equity observation. On a new UTC day, the day starts from the last equity of
    /// the day before (so the first bar of a day already counts its move). Returns `false` when
    /// nothing changed (same day, same equity), so the limits need not be judged again.
    pub(crate) fn update(&mut self, equity: Money, at: UnixNanos) -> bool {
        let day = at.day_index();
        if self.day == Some(day) && self.last == Some(equity) {
            return false;
        }
        if self.day.is_none_or(|current| day > current) {
            self.day = Some(day);
            self.day_start = self.last.unwrap_or(equity);
            self.peak = self.day_start.max(equity);
            self.allowed_fall = None;
        } else if equity > self.peak {
            self.peak = equity;
            self.allowed_fall = None;
        }
        self.last = Some(equity);
        true
    }

    /// The last equity reported.
    pub(crate) fn equity(&self) -> Option<Money> {
        self.last
    }

    /// Why the daily loss is past `limit`, if it is.
    pub(crate) fn daily_loss_breach(&self, limit: Money) -> Option<String> {
        let equity = self.last?;
        let loss = self.day_start - equity;
        (loss > limit).then(|| {
            format!(
                "loss today {loss} (from {} to {equity}) exceeds max_daily_loss {limit}",
                self.day_start
            )
        })
    }

    /// Why the fall from the day's peak is past `fraction` of it, if it is. A peak that is not
    /// positive is a breach as soon as equity falls below it.
    pub(crate) fn drawdown_breach(&mut self, fraction: Rate) -> Option<String> {
        let equity = self.last?;
        let fall = self.peak - equity;
        if fall <= Money::ZERO {
            return None;
        }
        let allowed = match self.allowed_fall {
            Some((cached, allowed)) if cached == fraction => allowed,
            _ => {
                let allowed = allowed_fall(self.peak, fraction);
                self.allowed_fall = Some((fraction, allowed));
                allowed
            }
        };
        (fall > allowed).then(|| {
            format!(
                "equity {equity} is {fall} below today's peak {}; max_drawdown_fraction {fraction} \
                 allows {allowed}",
                self.peak
            )
        })
    }
}

/// The largest fall from `peak` that stays within `fraction` of it: exactly
/// `floor(peak × fraction)` at 10⁻⁹, so `fall > allowed` holds exactly when
/// `fall > peak × fraction`. Zero for a peak that is not positive.
fn allowed_fall(peak: Money, fraction: Rate) -> Money {
    if !peak.is_positive() || fraction.is_negative() {
        return Money::ZERO;
    }
    let scale = i128::from(airlock_core::SCALE);
    match peak.raw().checked_mul(i128::from(fraction.raw())) {
        Some(product) => Money::from_raw(product / scale),
        // Past i128 (a peak beyond 10²⁰): the limit cannot bind any real fall.
        None => Money::from_raw(i128::MAX),
    }
}

/// Both loss limits must be configured and some equity known before any order passes.
pub(crate) fn loss_limits_judgeable(
    max_daily_loss: Option<Money>,
    max_drawdown_fraction: Option<Rate>,
    tracker: &DayTracker,
) -> Result<(), Refusal> {
    if max_daily_loss.is_none() {
        return Err(Refusal::not_configured(
            Rule::MaxDailyLoss,
            "max_daily_loss",
        ));
    }
    if max_drawdown_fraction.is_none() {
        return Err(Refusal::not_configured(
            Rule::MaxDrawdown,
            "max_drawdown_fraction",
        ));
    }
    if tracker.equity().is_none() {
        return Err(Refusal::new(
            Rule::MaxDailyLoss,
            "no equity has been reported, so the daily loss cannot be judged",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(day: u32, hour: u32) -> UnixNanos {
        UnixNanos::from_civil(2021, 4, day, hour, 0, 0, 0).unwrap()
    }

    fn money(units: i64) -> Money {
        Money::from_units(units)
    }

    #[test]
    fn daily_loss_counts_from_the_previous_days_last_equity() {
        let mut tracker = DayTracker::default();
        tracker.update(money(10_000), day(19, 20));
        tracker.update(money(9_000), day(20, 0));
        // Exactly at the limit is allowed; one cent more is a breach.
        assert_eq!(tracker.daily_loss_breach(money(1_000)), None);
        assert_eq!(
            tracker
                .daily_loss_breach("999.99".parse().unwrap())
                .unwrap(),
            "loss today 1000 (from 10000 to 9000) exceeds max_daily_loss 999.99"
        );
        // The next day starts from 9,000.
        tracker.update(money(8_500), day(21, 0));
        assert_eq!(tracker.daily_loss_breach(money(500)), None);
        assert!(tracker.daily_loss_breach(money(499)).is_some());
    }

    #[test]
    fn drawdown_is_measured_from_the_days_peak() {
        let mut tracker = DayTracker::default();
        tracker.update(money(10_000), day(20, 10));
        tracker.update(money(12_000), day(20, 11));
        tracker.update(money(11_400), day(20, 12));
        let five_percent: Rate = "0.05".parse().unwrap();
        assert_eq!(tracker.drawdown_breach(five_percent), None);
        tracker.update("11399.99".parse().unwrap(), day(20, 13));
        assert!(
            tracker
                .drawdown_breach(five_percent)
                .unwrap()
                .contains("peak 12000")
        );
        // A new day resets the peak to yesterday's last equity.
        tracker.update(money(11_300), day(21, 0));
        assert_eq!(tracker.drawdown_breach(five_percent), None);
    }

    #[test]
    fn a_non_positive_peak_breaches_on_any_fall() {
        let mut tracker = DayTracker::default();
        tracker.update(money(0), day(20, 0));
        assert_eq!(tracker.drawdown_breach(Rate::ONE), None);
        tracker.update(money(-1), day(20, 1));
        assert!(tracker.drawdown_breach(Rate::ONE).is_some());
    }

    #[test]
    fn unjudgeable_loss_limits_refuse() {
        let mut tracker = DayTracker::default();
        let (loss, fraction) = (Some(money(1)), Some(Rate::ONE));
        assert_eq!(
            loss_limits_judgeable(loss, fraction, &tracker)
                .unwrap_err()
                .rule,
            Rule::MaxDailyLoss
        );
        tracker.update(money(5), day(20, 0));
        assert!(loss_limits_judgeable(loss, fraction, &tracker).is_ok());
        assert_eq!(
            loss_limits_judgeable(loss, None, &tracker)
                .unwrap_err()
                .rule,
            Rule::MaxDrawdown
        );
        assert!(loss_limits_judgeable(None, fraction, &tracker).is_err());
    }
}
