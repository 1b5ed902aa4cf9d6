//! Who may trade what and when: the trading state, reduce-only, blocked symbols, sessions.

use std::collections::BTreeSet;

use airlock_core::{Quantity, Side, Symbol, UnixNanos};

use crate::rule::{Refusal, Rule};
use crate::rules::exposure::Holding;
use crate::session::Session;
use crate::state::TradingState;

/// Halted refuses everything.
pub(crate) fn trading_state(state: TradingState) -> Result<(), Refusal> {
    match state {
        TradingState::Halted => Err(Refusal::new(
            Rule::TradingState,
            "trading is halted; an operator must resume it",
        )),
        TradingState::Active | TradingState::Reducing => Ok(()),
    }
}

/// In Reducing, and for an order flagged reduce-only, the order must shrink the position without
/// crossing zero, counting the working orders on its side.
pub(crate) fn reduce_only(
    state: TradingState,
    flagged: bool,
    side: Side,
    quantity: Quantity,
    holding: &Holding,
) -> Result<(), Refusal> {
    if state != TradingState::Reducing && !flagged {
        return Ok(());
    }
    let why = if flagged {
        "the order is reduce-only"
    } else {
        "trading is reducing"
    };
    let position = holding.position;
    let (reduces, working) = match side {
        Side::Sell => (position.is_positive(), holding.working_sell),
        Side::Buy => (position.is_negative(), holding.working_buy),
    };
    let size = position.checked_abs().unwrap_or(Quantity::ZERO);
    let total = quantity.checked_add(working);
    match total {
        Some(total) if reduces && total <= size => Ok(()),
        _ => Err(Refusal::new(
            Rule::ReduceOnly,
            format!(
                "{why}: {side} {quantity} (with {working} already working) does not reduce the \
                 position {position}"
            ),
        )),
    }
}

/// A blocked symbol is refused; `None` (no list configured) refuses everything.
pub(crate) fn blocked_symbol(
    blocked: Option<&BTreeSet<Symbol>>,
    symbol: Symbol,
) -> Result<(), Refusal> {
    match blocked {
        None => Err(Refusal::not_configured(
            Rule::BlockedSymbol,
            "blocked_symbols",
        )),
        Some(list) if list.contains(&symbol) => Err(Refusal::new(
            Rule::BlockedSymbol,
            format!("{symbol} is on the blocked symbols list"),
        )),
        Some(_) => Ok(()),
    }
}

/// Outside every session is refused; no sessions configured refuses everything.
pub(crate) fn session(sessions: Option<&[Session]>, now: UnixNanos) -> Result<(), Refusal> {
    let Some(sessions) = sessions else {
        return Err(Refusal::not_configured(Rule::Session, "sessions"));
    };
    if sessions.iter().any(|session| session.contains(now)) {
        return Ok(());
    }
    let list: Vec<String> = sessions.iter().map(ToString::to_string).collect();
    Err(Refusal::new(
        Rule::Session,
        format!("{now} is outside the sessions [{}]", list.join(", ")),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn qty(units: i64) -> Quantity {
        Quantity::from_units(units).unwrap()
    }

    fn holding(position: i64, buy: i64, sell: i64) -> Holding {
        Holding {
            position: qty(position),
            working_buy: qty(buy),
            working_sell: qty(sell),
        }
    }

    #[test]
    fn halted_refuses_and_the_others_pass() {
        assert_eq!(
            trading_state(TradingState::Halted).unwrap_err().rule,
            Rule::TradingState
        );
        assert!(trading_state(TradingState::Active).is_ok());
        assert!(trading_state(TradingState::Reducing).is_ok());
    }

    #[test]
    fn reducing_allows_exactly_down_to_flat_and_no_further() {
        let reducing = TradingState::Reducing;
        let long = holding(100, 0, 0);
        assert!(reduce_only(reducing, false, Side::Sell, qty(100), &long).is_ok());
        let over = reduce_only(reducing, false, Side::Sell, qty(101), &long).unwrap_err();
        assert_eq!(over.rule, Rule::ReduceOnly);
        assert!(over.reason.contains("position 100"), "{}", over.reason);
        assert!(reduce_only(reducing, false, Side::Buy, qty(1), &long).is_err());
        // Working sells count: 60 working + 41 new would cross zero.
        let working = holding(100, 0, 60);
        assert!(reduce_only(reducing, false, Side::Sell, qty(40), &working).is_ok());
        assert!(reduce_only(reducing, false, Side::Sell, qty(41), &working).is_err());
        // Shorts reduce by buying; flat cannot reduce at all.
        assert!(reduce_only(reducing, false, Side::Buy, qty(5), &holding(-5, 0, 0)).is_ok());
        assert!(reduce_only(reducing, false, Side::Sell, qty(1), &holding(0, 0, 0)).is_err());
    }

    #[test]
    fn active_passes_unless_the_order_is_flagged_reduce_only() {
        let flat = holding(0, 0, 0);
        assert!(reduce_only(TradingState::Active, false, Side::Buy, qty(9), &flat).is_ok());
        let flagged = reduce_only(TradingState::Active, true, Side::Buy, qty(9), &flat);
        assert!(flagged.unwrap_err().reason.contains("reduce-only"));
    }

    #[test]
    fn blocked_symbols_match_any_case_and_no_list_fails_closed() {
        let list: BTreeSet<Symbol> = [Symbol::parse("gme").unwrap()].into();
        let refusal = blocked_symbol(Some(&list), Symbol::parse("GME").unwrap()).unwrap_err();
        assert_eq!(
            refusal.to_string(),
            "refused by blocked_symbol: GME is on the blocked symbols list"
        );
        assert!(blocked_symbol(Some(&list), Symbol::parse("Gme").unwrap()).is_err());
        assert!(blocked_symbol(Some(&list), Symbol::parse("AAPL").unwrap()).is_ok());
        assert!(blocked_symbol(Some(&BTreeSet::new()), Symbol::parse("GME").unwrap()).is_ok());
        let unset = blocked_symbol(None, Symbol::parse("AAPL").unwrap()).unwrap_err();
        assert!(unset.reason.contains("not configured"));
    }

    #[test]
    fn sessions_refuse_outside_and_fail_closed_when_absent() {
        let sessions: Vec<Session> = vec!["mon-fri 13:30-20:00".parse().unwrap()];
        let inside = UnixNanos::from_civil(2021, 4, 21, 14, 0, 0, 0).unwrap();
        let outside = UnixNanos::from_civil(2021, 4, 21, 21, 0, 0, 0).unwrap();
        assert!(session(Some(&sessions), inside).is_ok());
        let refusal = session(Some(&sessions), outside).unwrap_err();
        assert_eq!(
            refusal.reason,
            "2021-04-21T21:00:00Z is outside the sessions [mon-fri 13:30-20:00]"
        );
        assert!(session(Some(&[]), inside).is_err());
        assert!(
            session(None, inside)
                .unwrap_err()
                .reason
                .contains("not configured")
        );
    }
}
