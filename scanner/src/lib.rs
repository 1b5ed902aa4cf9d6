//! Momentum Radar (in progress).
