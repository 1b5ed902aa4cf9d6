//! The rules, one small unit each: pure functions of the limit and the numbers they judge (or,
//! for the rate and duplicate rules, a small window of recent approvals). The manager calls them
//! in [`Rule::ALL`](crate::Rule::ALL) order; the first refusal wins.

pub(crate) mod access;
pub(crate) mod exposure;
pub(crate) mod flow;
pub(crate) mod loss;
pub(crate) mod price;
pub(crate) mod size;
