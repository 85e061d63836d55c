//! Measuring: latency histograms, error counts by gRPC code, CPU time and peak memory, and the
//! report every scenario prints as a table and can write as JSON.

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

/// A latency histogram in microseconds, from 1 µs to 60 s.
pub fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid histogram bounds")
}

/// One measured figure.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub scenario: String,
    pub figure: String,
    /// The rate the generator aimed at; `None` for closed-loop (as fast as it goes).
    pub target_rate: Option<f64>,
    /// Operations (or items) per second actually completed.
    pub achieved_rate: f64,
    pub count: u64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
    pub errors: BTreeMap<String, u64>,
    /// The figure as a share of the machine's raw limit, when there is one.
    pub ratio_to_raw: Option<f64>,
    pub note: String,
}

impl Row {
    pub fn new(
        scenario: &str,
        figure: &str,
        target_rate: Option<f64>,
        count: u64,
        elapsed: Duration,
        latency: &Histogram<u64>,
    ) -> Self {
        let ms = |q: f64| latency.value_at_quantile(q) as f64 / 1000.0;
        Self {
            scenario: scenario.into(),
            figure: figure.into(),
            target_rate,
            achieved_rate: count as f64 / elapsed.as_secs_f64().max(1e-9),
            count,
            p50_ms: ms(0.5),
            p90_ms: ms(0.9),
            p99_ms: ms(0.99),
            p999_ms: ms(0.999),
            max_ms: latency.max() as f64 / 1000.0,
            errors: BTreeMap::new(),
            ratio_to_raw: None,
            note: String::new(),
        }
    }

    pub fn with_errors(mut self, errors: BTreeMap<String, u64>) -> Self {
        self.errors = errors;
        self
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.note = note.into();
        self
    }
}

/// Everything one run measured.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub rows: Vec<Row>,
    /// CPU seconds the load generator used per wall-clock second (1.0 = one core).
    pub generator_cpu_cores: f64,
    /// Peak resident memory of each server process, MiB.
    pub server_peak_rss_mib: BTreeMap<String, f64>,
    /// Peak resident memory of the load generator, MiB.
    pub generator_peak_rss_mib: f64,
}

impl Report {
    pub fn print(&self) {
        let header = [
            "scenario",
            "figure",
            "target/s",
            "achieved/s",
            "count",
            "p50 ms",
            "p90 ms",
            "p99 ms",
            "p99.9 ms",
            "vs raw",
        ];
        println!(
            "{:<10} {:<44} {:>9} {:>10} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}  errors / note",
            header[0],
            header[1],
            header[2],
            header[3],
            header[4],
            header[5],
            header[6],
            header[7],
            header[8],
            header[9]
        );
        for row in &self.rows {
            let target = row.target_rate.map(|r| format!("{r:.0}")).unwrap_or_else(|| "max".into());
            let ratio = row.ratio_to_raw.map(|r| format!("{:.0}%", r * 100.0)).unwrap_or_else(|| "-".into());
            let errors = if row.errors.is_empty() {
                String::new()
            } else {
                row.errors.iter().map(|(code, n)| format!("{code}={n}")).collect::<Vec<_>>().join(" ") + " "
            };
            println!(
                "{:<10} {:<44} {:>9} {:>10.0} {:>8} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>8}  {}{}",
                row.scenario,
                row.figure,
                target,
                row.achieved_rate,
                row.count,
                row.p50_ms,
                row.p90_ms,
                row.p99_ms,
                row.p999_ms,
                ratio,
                errors,
                row.note
            );
        }
        println!(
            "load generator CPU: {:.2} cores; peak RSS {:.1} MiB",
            self.generator_cpu_cores, self.generator_peak_rss_mib
        );
        for (process, rss) in &self.server_peak_rss_mib {
            println!("server {process}: peak RSS {rss:.1} MiB");
        }
    }
}

/// CPU seconds (user + system) this process has used.
pub fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else { return 0.0 };
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let Some(rest) = stat.rsplit_once(')').map(|(_, rest)| rest) else { return 0.0 };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    (ticks(11) + ticks(12)) / 100.0
}

/// The whole machine's busy CPU time at one moment: every process on it, the server, Postgres,
/// RabbitMQ and the generator alike (from `/proc/stat`).
#[derive(Debug, Clone, Copy)]
pub struct MachineCpu(f64);

impl MachineCpu {
    pub fn now() -> Self {
        let Ok(stat) = std::fs::read_to_string("/proc/stat") else { return Self(0.0) };
        let ticks: Vec<f64> =
            stat.lines().next().unwrap_or_default().split_whitespace().skip(1).filter_map(|f| f.parse().ok()).collect();
        // user nice system idle iowait irq softirq steal (guest time is counted in user):
        // all but idle and iowait are busy.
        let busy: f64 = ticks.iter().take(8).enumerate().filter(|(i, _)| *i != 3 && *i != 4).map(|(_, t)| t).sum();
        Self(busy / 100.0)
    }

    /// CPU seconds the machine was busy since `self`.
    pub fn seconds_since(self) -> f64 {
        (Self::now().0 - self.0).max(0.0)
    }

    /// Milliseconds of busy CPU per item, for `items` done since `self`.
    pub fn ms_per(self, items: u64) -> f64 {
        self.seconds_since() * 1000.0 / items.max(1) as f64
    }
}

/// Peak resident memory (VmHWM) of a process, MiB.
pub fn peak_rss_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}
