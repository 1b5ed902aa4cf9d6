//! The client order ids Alpaca sees: ours for the first leg of an order, `{ours}.r{n}` for its
//! `n`-th replacement.
//!
//! Alpaca's replace (`PATCH /v2/orders/{id}`) creates a new order with a new Alpaca id, and
//! refuses a client order id it has seen before (even of a cancelled or replaced order). So each
//! replacement needs a fresh client id, and it must still name our logical order: leg `n ≥ 1` of
//! our order `ours` is sent as `{ours}.r{n}` (`n` from 1 to 999, no leading zeros). The rule is
//! reversible, which is what lets the broker map every trade update and every listed order back
//! to our id, also after a restart, without any state of its own.
//!
//! Our ids therefore must not themselves end in `.r{digits}` (the broker refuses to submit one),
//! and `{ours}.r{n}` must fit the 48 characters we keep every id within: an id made by
//! [`ClientOrderId::derive`] (at most 43 characters) always leaves room for 999 replacements.

use airlock_core::ClientOrderId;

/// The most replacements one order can have (`.r1` to `.r999`).
pub const MAX_REPLACEMENTS: u32 = 999;

/// The client order id Alpaca sees for leg `leg` of our order `ours` (leg 0 is the original).
///
/// # Errors
/// A reason naming the id when `leg` is past [`MAX_REPLACEMENTS`] or `{ours}.r{leg}` would be
/// longer than 48 characters.
pub(crate) fn leg_client_id(ours: &ClientOrderId, leg: u32) -> Result<String, String> {
    if leg == 0 {
        return Ok(ours.as_str().to_owned());
    }
    if leg > MAX_REPLACEMENTS {
        return Err(format!(
            "client_order_id: order {ours} was replaced {MAX_REPLACEMENTS} times, the most one \
             order can be; cancel it and submit a new one"
        ));
    }
    let text = format!("{ours}.r{leg}");
    if text.len() > ClientOrderId::MAX_LEN {
        return Err(format!(
            "client_order_id: {ours} is {} characters, too long to name its replacement {text} \
             within {} (ids from ClientOrderId::derive are at most {})",
            ours.as_str().len(),
            ClientOrderId::MAX_LEN,
            ClientOrderId::DERIVED_MAX_LEN
        ));
    }
    Ok(text)
}

/// Splits an Alpaca client order id into our id and the leg number, or `None` when the text is
/// not one of ours (not a valid [`ClientOrderId`], e.g. an order placed by hand with a longer id).
pub(crate) fn parse_leg(text: &str) -> Option<(ClientOrderId, u32)> {
    if let Some((base, leg)) = split_suffix(text) {
        return ClientOrderId::parse(base).ok().map(|id| (id, leg));
    }
    ClientOrderId::parse(text).ok().map(|id| (id, 0))
}

/// True when `ours` ends in the replacement suffix `.r{n}`, which only the broker may add.
pub(crate) fn has_reserved_suffix(ours: &ClientOrderId) -> bool {
    split_suffix(ours.as_str()).is_some()
}

/// `("x", 3)` for `"x.r3"`: a non-empty base, `.r`, then 1 to 999 without leading zeros.
fn split_suffix(text: &str) -> Option<(&str, u32)> {
    let (base, digits) = text.rsplit_once(".r")?;
    if base.is_empty()
        || digits.is_empty()
        || digits.len() > 3
        || digits.starts_with('0')
        || !digits.bytes().all(|byte| byte.is_ascii_digit())
    {
        return None;
    }
    digits.parse().ok().map(|leg| (base, leg))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(text: &str) -> ClientOrderId {
        ClientOrderId::parse(text).unwrap()
    }

    #[test]
    fn legs_round_trip_through_the_suffix_rule() {
        let ours = id("sma_cross-r7-42");
        assert_eq!(leg_client_id(&ours, 0).unwrap(), "sma_cross-r7-42");
        assert_eq!(leg_client_id(&ours, 1).unwrap(), "sma_cross-r7-42.r1");
        assert_eq!(leg_client_id(&ours, 999).unwrap(), "sma_cross-r7-42.r999");
        for leg in [0, 1, 9, 10, 99, 100, 999] {
            let text = leg_client_id(&ours, leg).unwrap();
            assert_eq!(parse_leg(&text), Some((ours.clone(), leg)), "{text}");
        }
        assert!(
            leg_client_id(&ours, 1000)
                .unwrap_err()
                .contains("replaced 999 times")
        );
    }

    #[test]
    fn derived_ids_always_leave_room_for_every_replacement() {
        let longest = ClientOrderId::derive(&"s".repeat(100), "run", u64::MAX).unwrap();
        let text = leg_client_id(&longest, MAX_REPLACEMENTS).unwrap();
        assert_eq!(text.len(), 48, "{text}");
        assert_eq!(parse_leg(&text), Some((longest, MAX_REPLACEMENTS)));
        let too_long = id(&"x".repeat(46));
        let error = leg_client_id(&too_long, 1).unwrap_err();
        assert!(error.contains("46 characters"), "{error}");
        assert!(error.contains("at most 43"), "{error}");
        assert_eq!(leg_client_id(&id(&"x".repeat(45)), 9).unwrap().len(), 48);
    }

    #[test]
    fn only_exact_suffixes_are_replacement_legs() {
        for (text, expected) in [
            ("a.r1", Some(("a", 1))),
            ("a.b.r12", Some(("a.b", 12))),
            ("a.r0", Some(("a.r0", 0))),
            ("a.r01", Some(("a.r01", 0))),
            ("a.r1000", Some(("a.r1000", 0))),
            ("a.r", Some(("a.r", 0))),
            ("a.rx", Some(("a.rx", 0))),
            (".r1", Some((".r1", 0))),
            ("a-r1", Some(("a-r1", 0))),
            ("has space", None),
            (&*"y".repeat(60), None),
        ] {
            let parsed = parse_leg(text);
            let expected = expected.map(|(base, leg)| (id(base), leg));
            assert_eq!(parsed, expected, "{text}");
        }
        assert!(has_reserved_suffix(&id("x.r3")));
        assert!(!has_reserved_suffix(&id("x.r03")));
        assert!(!has_reserved_suffix(&id("sma-r7-3")));
    }
}
