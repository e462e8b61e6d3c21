//! Load generation: a fixed number of clients, each running one operation after the other until a
//! deadline; the latencies of every completed operation; the server's resident memory sampled
//! while a load runs.

use std::{
    future::Future,
    pin::Pin,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

pub type Error = Box<dyn std::error::Error + Send + Sync>;
pub type OpFuture = Pin<Box<dyn Future<Output = Result<(), Error>> + Send>>;
/// One request (a GraphQL call, a SQL statement or transaction); an error fails the whole run.
pub type Op = Arc<dyn Fn() -> OpFuture + Send + Sync>;

#[derive(Clone, Copy)]
pub struct Measure {
    pub per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Highest VmRSS of the server seen while this load ran (service side only), in MiB.
    pub peak_rss_mib: f64,
}

fn summarise(mut latencies: Vec<Duration>, elapsed: Duration) -> Measure {
    latencies.sort();
    let pick = |q: f64| {
        latencies
            .get(((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1)))
            .map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0)
    };
    Measure {
        per_second: latencies.len() as f64 / elapsed.as_secs_f64(),
        p50_ms: pick(0.5),
        p99_ms: pick(0.99),
        peak_rss_mib: f64::NAN,
    }
}

/// The mean of several runs' figures.
pub fn mean(runs: &[Measure]) -> Measure {
    let n = runs.len().max(1) as f64;
    let avg = |f: fn(&Measure) -> f64| runs.iter().map(f).sum::<f64>() / n;
    Measure {
        per_second: avg(|m| m.per_second),
        p50_ms: avg(|m| m.p50_ms),
        p99_ms: avg(|m| m.p99_ms),
        peak_rss_mib: avg(|m| m.peak_rss_mib),
    }
}

/// Runs `op` from `clients` concurrent clients for `seconds`; the first error of any client fails
/// the measurement (no request is silently skipped).
pub async fn drive(clients: usize, seconds: f64, op: Op) -> Result<Measure, Error> {
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let op = op.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let t = Instant::now();
                op().await?;
                latencies.push(t.elapsed());
            }
            Ok::<_, Error>(latencies)
        }));
    }
    let mut all = Vec::new();
    let mut failure = None;
    for t in tasks {
        match t.await? {
            Ok(latencies) => all.extend(latencies),
            Err(e) => {
                failure.get_or_insert(e);
            }
        }
    }
    if let Some(e) = failure {
        return Err(e);
    }
    Ok(summarise(all, started.elapsed()))
}

fn status_kib(pid: u32, key: &str) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find(|l| l.starts_with(key))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// The server's peak resident memory over its whole life (VmHWM), in MiB.
pub fn lifetime_peak_rss_mib(pid: u32) -> f64 {
    status_kib(pid, "VmHWM:").map_or(f64::NAN, |kib| kib as f64 / 1024.0)
}

/// Samples the server's VmRSS every 50 ms until stopped; VmHWM cannot be reset between cases, so
/// the highest sample is the peak of the load that ran meanwhile.
pub struct RssSampler {
    stop: Arc<AtomicBool>,
    handle: tokio::task::JoinHandle<u64>,
}

impl RssSampler {
    pub fn start(pid: u32) -> RssSampler {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = tokio::spawn(async move {
            let mut max = 0;
            loop {
                max = max.max(status_kib(pid, "VmRSS:").unwrap_or(0));
                if flag.load(Ordering::Relaxed) {
                    return max;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        });
        RssSampler { stop, handle }
    }

    /// The highest VmRSS seen, in MiB.
    pub async fn stop(self) -> f64 {
        self.stop.store(true, Ordering::Relaxed);
        match self.handle.await {
            Ok(kib) if kib > 0 => kib as f64 / 1024.0,
            _ => f64::NAN,
        }
    }
}

/// Runs a load while sampling the server's memory; the peak goes into the measure.
pub async fn drive_sampled(
    pid: u32,
    clients: usize,
    seconds: f64,
    op: Op,
) -> Result<Measure, Error> {
    let sampler = RssSampler::start(pid);
    let measured = drive(clients, seconds, op).await;
    let peak = sampler.stop().await;
    let mut m = measured?;
    m.peak_rss_mib = peak;
    Ok(m)
}
