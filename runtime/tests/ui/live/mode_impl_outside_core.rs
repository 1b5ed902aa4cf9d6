//! No crate but core can invent a mode: the trait is sealed.
use airlock_core::{Mode, ModeTag};

pub enum Staging {}

impl Mode for Staging {
    const TAG: ModeTag = ModeTag::Paper;
    const REAL_MONEY: bool = false;
    const SECRET_NAMESPACE: Option<&'static str> = None;
    const FOREIGN_NAMESPACES: &'static [&'static str] = &[];
}

fn main() {}
