//! What both benches measure with: percentiles and the process's memory.

use std::time::Duration;

/// The `p` quantile (0 to 1) of `sorted`, nearest rank; zero when empty.
pub fn pct(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// A field of /proc/self/status given in kB (VmRSS, VmHWM = peak VmRSS,
/// RssAnon, RssFile), in bytes; 0 where there is no such file or field.
pub fn status(name: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}
