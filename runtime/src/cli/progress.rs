//! A progress bar on standard error, drawn only when standard error is a terminal.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;

/// Draws `[#####-----]  50%  done/total unit` in place; silent when stderr is not a terminal.
pub(crate) struct Progress {
    unit: &'static str,
    enabled: bool,
    last_percent: Mutex<Option<u64>>,
}

impl Progress {
    pub(crate) fn new(unit: &'static str, total: u64, threshold: u64) -> Self {
        let enabled = total >= threshold && std::io::stderr().is_terminal();
        Self {
            unit,
            enabled,
            last_percent: Mutex::new(None),
        }
    }

    pub(crate) fn update(&self, done: u64, total: u64) {
        if !self.enabled || total == 0 {
            return;
        }
        let percent = done.saturating_mul(100) / total;
        let Ok(mut last) = self.last_percent.lock() else {
            return;
        };
        if *last == Some(percent) {
            return;
        }
        *last = Some(percent);
        let filled = usize::try_from(percent / 5).unwrap_or(20);
        let bar = format!(
            "{}{}",
            "#".repeat(filled),
            "-".repeat(20usize.saturating_sub(filled))
        );
        let mut stderr = std::io::stderr().lock();
        let _ = write!(
            stderr,
            "\r[{bar}] {percent:>3}%  {done}/{total} {}",
            self.unit
        );
        if done >= total {
            let _ = writeln!(stderr);
        }
        let _ = stderr.flush();
    }
}
