//! A fault-injecting TCP proxy for the sender tests: it sits on a free loopback port
//! between the sender under test and a real receiver, and does to each new connection
//! what the test told it to: pass it on, refuse it, answer an HTTP error itself, hold
//! the response back, lose the acknowledgement, or cut the response short.
//!
//! It runs on its own std threads with blocking sockets, so it works the same under
//! any tokio runtime or none. Every read polls with a short timeout, so the proxy
//! notices when it is dropped; the faults that parse HTTP give up after
//! [`IO_LIMIT`]. Dropping the proxy closes its port (later connects are refused) and
//! ends the connections still open. Errors inside the proxy never panic: they are
//! printed to stderr.

use std::collections::VecDeque;
use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long reading one HTTP request or response (for [`Fault::Status`] and
/// [`Fault::ResetAfterRequest`]), connecting to the upstream, or one blocked write may
/// take.
pub const IO_LIMIT: Duration = Duration::from_secs(10);

/// The read timeout of every socket: how often a blocked read looks whether the proxy
/// or the connection is finished.
const POLL: Duration = Duration::from_millis(20);

/// How long [`Fault::Status`] waits for the client to close after the answer, before
/// closing itself (a "lingering close", so that the client reads the answer).
const LINGER: Duration = Duration::from_secs(1);

/// What the proxy does to one connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Forward bytes both ways unchanged.
    Pass,
    /// Accept the connection and close it at once without reading: the client sees
    /// EOF or a reset ("connection closed before message completed").
    Refuse,
    /// Read the request and answer with this HTTP status, a short text body and
    /// `Connection: close`, without contacting the upstream.
    Status(u16),
    /// Forward the request, but hold each response from the upstream this long before
    /// passing it on (to go past the client's timeout).
    DelayResponse(Duration),
    /// Forward the complete request to the upstream, read the upstream's complete
    /// response (so the receiver has processed the request), then reset the client's
    /// connection (`SO_LINGER` 0, then close) without passing any of the response on:
    /// the acknowledgement is lost.
    ResetAfterRequest,
    /// Forward the request, pass on only the first this many bytes of the response,
    /// then close the connection.
    TruncateResponse(usize),
}

/// A running proxy on `127.0.0.1`; stopped when dropped.
pub struct Proxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

/// What the proxy's threads share.
struct Shared {
    upstream: SocketAddr,
    stop: AtomicBool,
    faults: Mutex<Faults>,
    workers: Mutex<Vec<JoinHandle<()>>>,
}

/// The plan for the next connections, and what every connection got.
struct Faults {
    plan: VecDeque<Fault>,
    then: Fault,
    log: Vec<Fault>,
}

impl Shared {
    fn faults(&self) -> MutexGuard<'_, Faults> {
        self.faults.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The fault for a new connection, logged.
    fn next_fault(&self) -> Fault {
        let mut faults = self.faults();
        let fault = faults.plan.pop_front().unwrap_or(faults.then);
        faults.log.push(fault);
        fault
    }
}

impl Proxy {
    /// Starts a proxy to `upstream` on a free port on 127.0.0.1; every connection gets
    /// [`Fault::Pass`] until told otherwise.
    pub fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("the proxy binds a loopback port");
        let addr = listener.local_addr().expect("the proxy's address");
        let shared = Arc::new(Shared {
            upstream,
            stop: AtomicBool::new(false),
            faults: Mutex::new(Faults {
                plan: VecDeque::new(),
                then: Fault::Pass,
                log: Vec::new(),
            }),
            workers: Mutex::new(Vec::new()),
        });
        let acceptor = std::thread::Builder::new()
            .name(format!("proxy-{}", addr.port()))
            .spawn({
                let shared = Arc::clone(&shared);
                move || accept_loop(listener, &shared)
            })
            .expect("the proxy starts its thread");
        Proxy {
            addr,
            shared,
            acceptor: Some(acceptor),
        }
    }

    /// The address to connect to instead of the upstream.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The faults for the next connections, in order: the i-th new connection gets
    /// `plan[i]`; after the plan is used up, `then` applies to every later connection.
    pub fn plan(&self, plan: Vec<Fault>, then: Fault) {
        let mut faults = self.shared.faults();
        faults.plan = plan.into();
        faults.then = then;
    }

    /// Sets the fault for all later connections (and drops what is left of a plan).
    pub fn set(&self, fault: Fault) {
        self.plan(Vec::new(), fault);
    }

    /// How many connections the proxy accepted so far.
    pub fn connections(&self) -> usize {
        self.shared.faults().log.len()
    }

    /// The fault each accepted connection got, in the order they were accepted.
    pub fn log(&self) -> Vec<Fault> {
        self.shared.faults().log.clone()
    }
}

impl Drop for Proxy {
    /// Stops accepting, closes the port and ends the open connections (each within a
    /// poll interval, or [`IO_LIMIT`] for a blocked write or connect).
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the acceptor from its blocking accept; it sees the flag and leaves.
        let woken = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1)).is_ok();
        if let Some(acceptor) = self.acceptor.take()
            && woken
        {
            let _ = acceptor.join();
        }
        let workers = std::mem::take(
            &mut *self
                .shared
                .workers
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        for worker in workers {
            let _ = worker.join();
        }
    }
}

fn accept_loop(listener: TcpListener, shared: &Arc<Shared>) {
    let port = listener.local_addr().map(|a| a.port()).unwrap_or_default();
    let mut id = 0usize;
    loop {
        let accepted = listener.accept();
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        let client = match accepted {
            Ok((client, _)) => client,
            Err(e) => {
                eprintln!("proxy {port}: accept failed: {e}");
                std::thread::sleep(POLL);
                continue;
            }
        };
        let fault = shared.next_fault();
        id += 1;
        let link = Arc::new(Link {
            shared: Arc::clone(shared),
            done: AtomicBool::new(false),
            awaiting: AtomicBool::new(false),
            label: format!("proxy {port} connection {id} ({fault:?})"),
        });
        let spawned = std::thread::Builder::new()
            .name(format!("proxy-{port}-{id}"))
            .spawn(move || link.serve(client, fault));
        match spawned {
            Ok(worker) => {
                let mut workers = shared
                    .workers
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                workers.retain(|w| !w.is_finished());
                workers.push(worker);
            }
            Err(e) => eprintln!("proxy {port}: cannot start a connection thread: {e}"),
        }
    }
}

/// One connection's state, shared by its two pump threads.
struct Link {
    shared: Arc<Shared>,
    /// Set when the connection is over: the pumps leave at their next poll.
    done: AtomicBool,
    /// Request bytes went upstream since the last response bytes came back (for
    /// [`Fault::DelayResponse`]: each response is held once).
    awaiting: AtomicBool,
    label: String,
}

/// How the body of an HTTP message ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    Length(usize),
    /// Best effort: at a read that ends with the last chunk `0\r\n\r\n`.
    Chunked,
    UntilEof,
}

impl Link {
    /// The proxy is dropped or this connection is over.
    fn finished(&self) -> bool {
        self.done.load(Ordering::SeqCst) || self.shared.stop.load(Ordering::SeqCst)
    }

    fn stopped(&self) -> io::Error {
        io::Error::new(
            ErrorKind::ConnectionAborted,
            "the proxy ended the connection",
        )
    }

    /// Prints an error, unless the proxy ended the connection itself.
    fn report(&self, what: &str, e: &io::Error) {
        if !self.finished() {
            eprintln!("{}: {what}: {e}", self.label);
        }
    }

    fn serve(self: Arc<Self>, client: TcpStream, fault: Fault) {
        let result = match fault {
            Fault::Refuse => {
                drop(client);
                Ok(())
            }
            Fault::Status(code) => self.answer(client, code),
            Fault::ResetAfterRequest => self.lose_acknowledgement(client),
            Fault::Pass | Fault::DelayResponse(_) | Fault::TruncateResponse(_) => {
                self.forward(client, fault)
            }
        };
        if let Err(e) = result {
            self.report("gave up", &e);
        }
    }

    /// Reads into `buf`, polling until data, EOF, an error, the deadline (`TimedOut`)
    /// or the end of the connection or proxy.
    fn read(
        &self,
        stream: &mut TcpStream,
        buf: &mut [u8],
        deadline: Option<Instant>,
    ) -> io::Result<usize> {
        loop {
            if self.finished() {
                return Err(self.stopped());
            }
            match stream.read(buf) {
                Ok(n) => return Ok(n),
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Err(io::Error::new(
                    ErrorKind::TimedOut,
                    format!("nothing to read for {IO_LIMIT:?}"),
                ));
            }
        }
    }

    /// Sleeps, but not past the end of the connection or proxy.
    fn sleep(&self, duration: Duration) -> io::Result<()> {
        let until = Instant::now() + duration;
        loop {
            if self.finished() {
                return Err(self.stopped());
            }
            let now = Instant::now();
            if now >= until {
                return Ok(());
            }
            std::thread::sleep(POLL.min(until - now));
        }
    }

    /// Reads one HTTP message: the head up to the blank line, then the body by its
    /// `Content-Length` (a request without one has no body, a response runs until EOF).
    fn read_message(&self, stream: &mut TcpStream, request: bool) -> io::Result<Vec<u8>> {
        let deadline = Some(Instant::now() + IO_LIMIT);
        let mut data = Vec::new();
        let mut buf = vec![0; 16 * 1024];
        let head_end = loop {
            if let Some(i) = data.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            let n = self.read(stream, &mut buf, deadline)?;
            if n == 0 {
                return Err(io::Error::new(
                    ErrorKind::UnexpectedEof,
                    format!("closed after {} bytes, in the header", data.len()),
                ));
            }
            data.extend_from_slice(&buf[..n]);
        };
        let framing = framing(&String::from_utf8_lossy(&data[..head_end]), request)?;
        loop {
            let body = &data[head_end..];
            let complete = match framing {
                Framing::Length(length) => body.len() >= length,
                Framing::Chunked => body.ends_with(b"0\r\n\r\n"),
                Framing::UntilEof => false,
            };
            if complete {
                return Ok(data);
            }
            let n = self.read(stream, &mut buf, deadline)?;
            if n == 0 {
                if framing == Framing::UntilEof {
                    return Ok(data);
                }
                return Err(io::Error::new(
                    ErrorKind::UnexpectedEof,
                    format!("closed after {} body bytes ({framing:?})", body.len()),
                ));
            }
            data.extend_from_slice(&buf[..n]);
        }
    }

    fn connect_upstream(&self) -> io::Result<TcpStream> {
        let upstream = TcpStream::connect_timeout(&self.shared.upstream, IO_LIMIT)?;
        configure(&upstream)?;
        Ok(upstream)
    }

    /// [`Fault::Status`].
    fn answer(&self, mut client: TcpStream, code: u16) -> io::Result<()> {
        configure(&client)?;
        self.read_message(&mut client, true)?;
        let body = format!("fault injected by the test proxy: {code}\n");
        let response = format!(
            "HTTP/1.1 {code} {}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{body}",
            reason(code),
            body.len()
        );
        client.write_all(response.as_bytes())?;
        client.flush()?;
        let _ = client.shutdown(Shutdown::Write);
        // Wait for the client to close, so that closing with unread data (a reset)
        // cannot destroy the answer before the client reads it.
        let deadline = Some(Instant::now() + LINGER);
        let mut buf = [0; 4096];
        while let Ok(n) = self.read(&mut client, &mut buf, deadline) {
            if n == 0 {
                break;
            }
        }
        Ok(())
    }

    /// [`Fault::ResetAfterRequest`]: the client's connection is reset however the
    /// exchange with the upstream went.
    fn lose_acknowledgement(&self, mut client: TcpStream) -> io::Result<()> {
        let result = (|| {
            configure(&client)?;
            let request = self.read_message(&mut client, true)?;
            let mut upstream = self.connect_upstream()?;
            upstream.write_all(&request)?;
            self.read_message(&mut upstream, false)?;
            Ok(())
        })();
        reset(client)?;
        result
    }

    /// [`Fault::Pass`], [`Fault::DelayResponse`], [`Fault::TruncateResponse`]: a pump
    /// each way.
    fn forward(self: &Arc<Self>, client: TcpStream, fault: Fault) -> io::Result<()> {
        configure(&client)?;
        let upstream = self.connect_upstream()?;
        let requests = std::thread::Builder::new()
            .name(format!(
                "{}-requests",
                std::thread::current().name().unwrap_or("proxy")
            ))
            .spawn({
                let (link, client, upstream) =
                    (Arc::clone(self), client.try_clone()?, upstream.try_clone()?);
                move || link.pump_requests(client, upstream)
            })?;
        self.pump_responses(upstream, client, fault);
        let _ = requests.join();
        Ok(())
    }

    /// Ends the connection after an error in one direction: both sockets shut down,
    /// and the other pump leaves.
    fn abort(&self, what: &str, e: &io::Error, a: &TcpStream, b: &TcpStream) {
        self.report(what, e);
        self.done.store(true, Ordering::SeqCst);
        let _ = a.shutdown(Shutdown::Both);
        let _ = b.shutdown(Shutdown::Both);
    }

    fn pump_requests(&self, mut client: TcpStream, mut upstream: TcpStream) {
        let mut buf = vec![0; 16 * 1024];
        loop {
            let n = match self.read(&mut client, &mut buf, None) {
                Ok(0) => {
                    let _ = upstream.shutdown(Shutdown::Write);
                    return;
                }
                Ok(n) => n,
                Err(e) => return self.abort("reading the client", &e, &client, &upstream),
            };
            self.awaiting.store(true, Ordering::SeqCst);
            if let Err(e) = upstream.write_all(&buf[..n]) {
                return self.abort("writing to the upstream", &e, &client, &upstream);
            }
        }
    }

    fn pump_responses(&self, mut upstream: TcpStream, mut client: TcpStream, fault: Fault) {
        let mut left = match fault {
            Fault::TruncateResponse(bytes) => Some(bytes),
            _ => None,
        };
        let mut buf = vec![0; 16 * 1024];
        loop {
            let n = match self.read(&mut upstream, &mut buf, None) {
                Ok(0) => {
                    let _ = client.shutdown(Shutdown::Write);
                    return;
                }
                Ok(n) => n,
                Err(e) => return self.abort("reading the upstream", &e, &upstream, &client),
            };
            if let Fault::DelayResponse(delay) = fault
                && self.awaiting.swap(false, Ordering::SeqCst)
                && let Err(e) = self.sleep(delay)
            {
                return self.abort("delaying the response", &e, &upstream, &client);
            }
            let take = left.map_or(n, |left| left.min(n));
            if let Err(e) = client.write_all(&buf[..take]) {
                return self.abort("writing to the client", &e, &upstream, &client);
            }
            if let Some(left) = &mut left {
                *left -= take;
                if *left == 0 {
                    // A clean close (FIN) after the cut; the request pump leaves at
                    // its next poll.
                    let _ = client.shutdown(Shutdown::Write);
                    let _ = upstream.shutdown(Shutdown::Both);
                    self.done.store(true, Ordering::SeqCst);
                    return;
                }
            }
        }
    }
}

/// Short read timeouts (to poll), bounded writes, no Nagle delays.
fn configure(stream: &TcpStream) -> io::Result<()> {
    stream.set_read_timeout(Some(POLL))?;
    stream.set_write_timeout(Some(IO_LIMIT))?;
    stream.set_nodelay(true)
}

/// Closes a connection with `SO_LINGER` 0: the peer gets a reset, not a FIN. (std
/// has no stable `set_linger`; tokio's `TcpSocket` sets it without needing a runtime.)
fn reset(stream: TcpStream) -> io::Result<()> {
    let socket = tokio::net::TcpSocket::from_std_stream(stream);
    socket.set_zero_linger()
}

/// How the body of a message with this head ends.
fn framing(head: &str, request: bool) -> io::Result<Framing> {
    let mut lines = head.split("\r\n");
    let start = lines.next().unwrap_or_default();
    let mut framing = None;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.trim().eq_ignore_ascii_case("content-length") {
            let length = value.parse().map_err(|_| {
                io::Error::new(
                    ErrorKind::InvalidData,
                    format!("bad Content-Length {value:?}"),
                )
            })?;
            framing = Some(Framing::Length(length));
        } else if name.trim().eq_ignore_ascii_case("transfer-encoding")
            && value.to_ascii_lowercase().contains("chunked")
        {
            return Ok(Framing::Chunked);
        }
    }
    if let Some(framing) = framing {
        return Ok(framing);
    }
    if request {
        return Ok(Framing::Length(0));
    }
    let status: u16 = start
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(200);
    Ok(match status {
        100..=199 | 204 | 304 => Framing::Length(0),
        _ => Framing::UntilEof,
    })
}

/// The reason phrase for a status code.
fn reason(code: u16) -> &'static str {
    match code {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        408 => "Request Timeout",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Injected Fault",
    }
}
