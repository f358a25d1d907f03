//! The systemd service protocol (`Type=notify`): `READY=1` once the stores are open and
//! the listeners bound, `RELOADING=1` … `READY=1` around a reload, `STOPPING=1` on shutdown, and — when the service manager asks
//! for it with `WATCHDOG_USEC` — `WATCHDOG=1`, sent only while every loop that must be
//! alive says it is ([`Liveness`]). Messages are datagrams to the socket named in
//! `NOTIFY_SOCKET` (a path, or `@name` in the abstract namespace); without it every call
//! does nothing, so the gateway runs the same outside systemd.

use std::os::unix::net::UnixDatagram;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Where the service manager listens, from the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notifier {
    socket: String,
}

impl Notifier {
    /// The notifier named by `NOTIFY_SOCKET`; `None` outside systemd.
    pub fn from_env() -> Option<Self> {
        let socket = std::env::var("NOTIFY_SOCKET").ok()?;
        (!socket.is_empty()).then_some(Self { socket })
    }

    /// Sends one message (`READY=1`, …); a failure is logged, never fatal.
    pub fn send(&self, message: &str) {
        if let Err(e) = self.try_send(message) {
            tracing::warn!("systemd: cannot notify {}: {e}", self.socket);
        }
    }

    fn try_send(&self, message: &str) -> std::io::Result<()> {
        let socket = UnixDatagram::unbound()?;
        match self.socket.strip_prefix('@') {
            Some(name) => {
                use std::os::linux::net::SocketAddrExt;
                let address = std::os::unix::net::SocketAddr::from_abstract_name(name)?;
                socket.send_to_addr(message.as_bytes(), &address)?;
            }
            None => {
                socket.send_to(message.as_bytes(), &self.socket)?;
            }
        }
        Ok(())
    }
}

/// `RELOADING=1` with the time it began (`MONOTONIC_USEC`, which the service manager
/// needs to tell this reload from an earlier one); a `READY=1` follows when it is done.
pub fn reloading() -> String {
    match monotonic_usec() {
        Some(usec) => format!("RELOADING=1\nMONOTONIC_USEC={usec}\nSTATUS=reloading"),
        None => "RELOADING=1\nSTATUS=reloading".to_owned(),
    }
}

/// `CLOCK_MONOTONIC` in microseconds, the clock the service manager compares.
#[cfg(all(target_os = "linux", target_pointer_width = "64"))]
fn monotonic_usec() -> Option<u64> {
    #[repr(C)]
    struct Timespec {
        tv_sec: i64,
        tv_nsec: i64,
    }
    unsafe extern "C" {
        fn clock_gettime(clock: i32, time: *mut Timespec) -> i32;
    }
    const CLOCK_MONOTONIC: i32 = 1;
    let mut time = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `clock_gettime` writes one `struct timespec` (two 64-bit fields on 64-bit
    // Linux) to the pointer, which points to one that lives through the call.
    let status = unsafe { clock_gettime(CLOCK_MONOTONIC, &mut time) };
    let seconds = u64::try_from(time.tv_sec).ok()?;
    let micros = u64::try_from(time.tv_nsec / 1000).ok()?;
    (status == 0).then(|| seconds * 1_000_000 + micros)
}

/// Not known on this platform: `RELOADING=1` goes without it.
#[cfg(not(all(target_os = "linux", target_pointer_width = "64")))]
fn monotonic_usec() -> Option<u64> {
    None
}

/// How often the service manager wants `WATCHDOG=1`, from `WATCHDOG_USEC` (for this
/// process: `WATCHDOG_PID`, when set, must be ours). `None` when it wants none.
pub fn watchdog_interval() -> Option<Duration> {
    if let Ok(pid) = std::env::var("WATCHDOG_PID")
        && pid.trim() != std::process::id().to_string()
    {
        return None;
    }
    let usec: u64 = std::env::var("WATCHDOG_USEC").ok()?.trim().parse().ok()?;
    (usec > 0).then(|| Duration::from_micros(usec))
}

/// What one loop is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Waiting for its next piece of work.
    Waiting,
    /// Working since then.
    Working(Instant),
    /// Its task ended (returned or panicked) while the gateway runs.
    Gone,
}

#[derive(Debug)]
struct Loop {
    name: &'static str,
    /// The longest a piece of its work may take.
    budget: Duration,
    state: Mutex<State>,
}

/// The loops that must be alive for the gateway to do its job (the sender's rounds, the
/// receiver's watchdog, each mail worker), each telling when it works and when it waits.
#[derive(Debug, Clone, Default)]
pub struct Liveness {
    loops: Arc<Mutex<Vec<Arc<Loop>>>>,
    /// The gateway is stopping: loops end, and that is no fault.
    stopping: Arc<std::sync::atomic::AtomicBool>,
}

/// One loop's handle: [`Beat::working`] when it starts a piece of work, [`Beat::waiting`]
/// when it waits again. Dropped — the loop's task ended — the loop counts as gone.
#[derive(Debug)]
pub struct Beat {
    inner: Arc<Loop>,
}

impl Beat {
    /// The loop starts a piece of work.
    pub fn working(&self) {
        self.set(State::Working(Instant::now()));
    }

    /// The loop waits for its next piece of work.
    pub fn waiting(&self) {
        self.set(State::Waiting);
    }

    fn set(&self, state: State) {
        if let Ok(mut current) = self.inner.state.lock() {
            *current = state;
        }
    }
}

impl Drop for Beat {
    fn drop(&mut self) {
        self.set(State::Gone);
    }
}

impl Liveness {
    /// Registers a loop whose pieces of work take at most `budget`; it starts working.
    pub fn register(&self, name: &'static str, budget: Duration) -> Beat {
        let inner = Arc::new(Loop {
            name,
            budget,
            state: Mutex::new(State::Working(Instant::now())),
        });
        if let Ok(mut loops) = self.loops.lock() {
            loops.push(inner.clone());
        }
        Beat { inner }
    }

    /// The gateway is stopping: from now on loops may end.
    pub fn stopping(&self) {
        self.stopping
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// `Ok` when every loop waits, or works within its budget, at `now` (or the gateway
    /// is stopping); otherwise what is wrong with the first that does not.
    pub fn check(&self, now: Instant) -> Result<(), String> {
        if self.stopping.load(std::sync::atomic::Ordering::SeqCst) {
            return Ok(());
        }
        let loops = self.loops.lock().map_err(|_| "the loop list is poisoned")?;
        for one in loops.iter() {
            let state = *one.state.lock().map_err(|_| "a loop's state is poisoned")?;
            match state {
                State::Waiting => {}
                State::Working(since) if now.duration_since(since) <= one.budget => {}
                State::Working(since) => {
                    return Err(format!(
                        "{} has been working for {} (its budget is {})",
                        one.name,
                        humantime::format_duration(Duration::from_secs(
                            now.duration_since(since).as_secs()
                        )),
                        humantime::format_duration(one.budget)
                    ));
                }
                State::Gone => return Err(format!("{} has stopped", one.name)),
            }
        }
        Ok(())
    }
}

/// Sends `WATCHDOG=1` every half `interval` while every loop of `liveness` is alive,
/// until `shutdown`; a loop that is not stops the pings (and says so once), so the
/// service manager restarts the gateway after `WatchdogSec`.
pub async fn watchdog(
    notifier: Notifier,
    interval: Duration,
    liveness: Liveness,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let mut shutdown = std::pin::pin!(shutdown);
    let mut silent = false;
    loop {
        match liveness.check(Instant::now()) {
            Ok(()) => {
                if silent {
                    tracing::info!("systemd watchdog: every loop is alive again");
                    silent = false;
                }
                notifier.send("WATCHDOG=1");
            }
            Err(problem) if !silent => {
                tracing::error!(
                    "systemd watchdog: not pinging, {problem}: the service manager restarts \
                     the gateway when WatchdogSec passes"
                );
                silent = true;
            }
            Err(_) => {}
        }
        tokio::select! {
            biased;
            () = &mut shutdown => return,
            () = tokio::time::sleep(interval / 2) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loops_are_alive_while_they_wait_or_work_within_their_budget() {
        let liveness = Liveness::default();
        let start = Instant::now();
        let sender = liveness.register("sender", Duration::from_secs(60));
        let mail = liveness.register("mail", Duration::from_secs(10));
        assert_eq!(liveness.check(start), Ok(()));
        mail.waiting();
        sender.working();
        let later = Instant::now() + Duration::from_secs(30);
        assert_eq!(liveness.check(later), Ok(()));
        let much_later = Instant::now() + Duration::from_secs(120);
        let stuck = liveness.check(much_later).unwrap_err();
        assert!(stuck.starts_with("sender has been working for"), "{stuck}");
        sender.waiting();
        assert_eq!(liveness.check(much_later), Ok(()));
        drop(mail);
        assert_eq!(
            liveness.check(much_later),
            Err("mail has stopped".to_owned())
        );
        // Loops end when the gateway stops: no fault then.
        liveness.stopping();
        assert_eq!(liveness.check(much_later), Ok(()));
    }

    #[test]
    fn messages_reach_a_path_socket_and_an_abstract_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify");
        let listener = UnixDatagram::bind(&path).unwrap();
        Notifier {
            socket: path.display().to_string(),
        }
        .send("READY=1");
        let mut buf = [0u8; 64];
        let n = listener.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"READY=1");

        use std::os::linux::net::SocketAddrExt;
        let name = format!("lotgate-test-{}", std::process::id());
        let address = std::os::unix::net::SocketAddr::from_abstract_name(&name).unwrap();
        let abstract_listener = UnixDatagram::bind_addr(&address).unwrap();
        Notifier {
            socket: format!("@{name}"),
        }
        .send("STOPPING=1");
        let n = abstract_listener.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"STOPPING=1");
    }
}
