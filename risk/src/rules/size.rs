//! The size of one order: quantity and notional.

use airlock_core::{Money, Price, Quantity};

use crate::rule::{Refusal, Rule};

/// Quantity must be positive and at most the limit.
pub(crate) fn max_order_quantity(
    limit: Option<Quantity>,
    quantity: Quantity,
) -> Result<(), Refusal> {
    let Some(limit) = limit else {
        return Err(Refusal::not_configured(
            Rule::MaxOrderQuantity,
            "max_order_quantity",
        ));
    };
    if !quantity.is_positive() {
        return Err(Refusal::new(
            Rule::MaxOrderQuantity,
            format!("order quantity {quantity} is not positive"),
        ));
    }
    if quantity > limit {
        return Err(Refusal::new(
            Rule::MaxOrderQuantity,
            format!("order quantity {quantity} exceeds the limit {limit}"),
        ));
    }
    Ok(())
}

/// `price × quantity` must be at most the limit; the price must be positive.
pub(crate) fn max_order_notional(
    limit: Option<Money>,
    price: Price,
    quantity: Quantity,
) -> Result<(), Refusal> {
    let Some(limit) = limit else {
        return Err(Refusal::not_configured(
            Rule::MaxOrderNotional,
            "max_order_notional",
        ));
    };
    if !price.is_positive() || !quantity.is_positive() {
        return Err(Refusal::new(
            Rule::MaxOrderNotional,
            format!("cannot value an order of {quantity} at {price}"),
        ));
    }
    let notional = price.notional(quantity);
    if notional > limit {
        return Err(Refusal::new(
            Rule::MaxOrderNotional,
            format!("order notional {notional} ({quantity} at {price}) exceeds the limit {limit}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn qty(text: &str) -> Quantity {
        text.parse().unwrap()
    }

    #[test]
    fn quantity_at_the_limit_passes_and_just_over_is_refused() {
        let limit = Some(qty("100"));
        assert!(max_order_quantity(limit, qty("100")).is_ok());
        let over = max_order_quantity(limit, qty("100.000000001")).unwrap_err();
        assert_eq!(
            over.to_string(),
            "refused by max_order_quantity: order quantity 100.000000001 exceeds the limit 100"
        );
    }

    #[test]
    fn zero_and_negative_quantities_and_a_missing_limit_are_refused() {
        let limit = Some(qty("100"));
        assert!(max_order_quantity(limit, Quantity::ZERO).is_err());
        assert!(max_order_quantity(limit, qty("-1")).is_err());
        assert!(
            max_order_quantity(None, qty("1"))
                .unwrap_err()
                .reason
                .contains("not configured")
        );
        // A negative limit (a misconfiguration) refuses every order.
        assert!(max_order_quantity(Some(qty("-1")), qty("1")).is_err());
    }

    #[test]
    fn notional_at_the_limit_passes_and_just_over_is_refused() {
        let limit = Some(Money::from_units(10_000));
        let price: Price = "100".parse().unwrap();
        assert!(max_order_notional(limit, price, qty("100")).is_ok());
        let over = max_order_notional(limit, "100.01".parse().unwrap(), qty("100")).unwrap_err();
        assert_eq!(
            over.reason,
            "order notional 10001 (100 at 100.01) exceeds the limit 10000"
        );
    }

    #[test]
    fn notional_needs_a_positive_price_and_a_configured_limit() {
        let limit = Some(Money::from_units(10_000));
        assert!(max_order_notional(limit, Price::ZERO, qty("1")).is_err());
        assert!(max_order_notional(limit, "-5".parse().unwrap(), qty("1")).is_err());
        assert!(max_order_notional(None, Price::ONE, qty("1")).is_err());
    }
}
