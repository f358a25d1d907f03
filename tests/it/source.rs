//! The sender's source read for real: files on disk, and URLs served by a tiny HTTP
//! server on 127.0.0.1 that answers with a canned response (or never answers).

use chrono::NaiveDate;
use lotgate::config::{SourceConfig, SourceFormat, SourceLocation};
use lotgate::sender::source::{self, MAX_SOURCE_BYTES, Origin, SourceError};
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener};
use std::path::PathBuf;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, 1).expect("a date")
}

fn config(location: SourceLocation, format: SourceFormat, timeout: Duration) -> SourceConfig {
    SourceConfig {
        location,
        format,
        timeout,
    }
}

fn file(path: PathBuf) -> SourceConfig {
    config(
        SourceLocation::File(path),
        SourceFormat::Csv,
        Duration::from_secs(5),
    )
}

fn url(url: String, format: SourceFormat, timeout: Duration) -> SourceConfig {
    config(SourceLocation::Url(url), format, timeout)
}

/// The reason of an unreadable source; panics on anything else.
fn unreadable(result: Result<source::Snapshot, SourceError>) -> (SourceError, String) {
    match result {
        Err(e @ SourceError::Unreadable { .. }) => {
            assert!(e.is_transient());
            let SourceError::Unreadable { reason, .. } = &e else {
                unreachable!()
            };
            let reason = reason.get(lotgate::language::Language::En).to_owned();
            (e, reason)
        }
        other => panic!("expected an unreadable source, got {other:?}"),
    }
}

/// A one-connection HTTP server on 127.0.0.1: reads the request head, then writes
/// `response` and closes, or, with `None`, answers nothing and waits until the client
/// gives up. Returns the base URL and the request head it read.
fn serve(response: Option<Vec<u8>>) -> (String, JoinHandle<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let base = format!("http://{}", listener.local_addr().expect("bound"));
    let handle = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().expect("a connection");
        let mut head = Vec::new();
        let mut buf = [0u8; 1024];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            match stream.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => head.extend_from_slice(&buf[..n]),
            }
        }
        match response {
            Some(response) => {
                stream.write_all(&response).expect("response written");
                let _ = stream.shutdown(Shutdown::Write);
            }
            // Waits until the client closes the connection (or, should it never, for at
            // most 30 s, so the thread cannot outlive a broken test by much).
            None => {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
                while matches!(stream.read(&mut buf), Ok(n) if n > 0) {}
            }
        }
        String::from_utf8_lossy(&head).into_owned()
    });
    (base, handle)
}

fn response(status: &str, content_type: &str, body: &str) -> Option<Vec<u8>> {
    Some(
        format!(
            "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
    )
}

#[tokio::test]
async fn the_shipped_inventory_file() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/inventory.csv");
    let snapshot = source::read(&file(path), today(), &lotgate::vaccine::CodeList::builtin())
        .await
        .expect("valid");
    assert_eq!(snapshot.lots.len(), 12);
    assert!(snapshot.warnings.issues().is_empty());
}

#[tokio::test]
async fn a_missing_file_is_unreadable() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("inventory.csv");
    let (error, reason) = unreadable(
        source::read(
            &file(path.clone()),
            today(),
            &lotgate::vaccine::CodeList::builtin(),
        )
        .await,
    );
    assert!(reason.starts_with("cannot open it: "), "{reason}");
    assert_eq!(error.origin(), &Origin::File(path.clone()));
    let text = error.to_string();
    assert!(text.contains(&path.display().to_string()), "{text}");
    let (_, reason) = unreadable(
        source::read(
            &file(dir.path().to_owned()),
            today(),
            &lotgate::vaccine::CodeList::builtin(),
        )
        .await,
    );
    assert_eq!(reason, "it is a directory, not a file");
}

#[tokio::test]
async fn a_file_over_the_limit_is_unreadable() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("huge.csv");
    // Sparse: no 64 MiB are written.
    let huge = std::fs::File::create(&path).expect("created");
    huge.set_len(MAX_SOURCE_BYTES + 1).expect("sized");
    let (_, reason) = unreadable(
        source::read(&file(path), today(), &lotgate::vaccine::CodeList::builtin()).await,
    );
    assert_eq!(reason, "it is larger than 64 MiB, the most a source may be");
}

#[tokio::test]
async fn an_invalid_file_names_itself_and_every_problem() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("inventory.csv");
    std::fs::write(&path, "vaccine_code,lot_number\n08,A\n6,B\n").expect("written");
    let error = source::read(
        &file(path.clone()),
        today(),
        &lotgate::vaccine::CodeList::builtin(),
    )
    .await
    .expect_err("invalid");
    assert!(!error.is_transient());
    assert_eq!(error.origin(), &Origin::File(path.clone()));
    assert_eq!(
        error.to_string(),
        format!(
            "the inventory source (file {}) is invalid: 1 error(s), 0 warning(s); no message \
             was built from it\n  [vaccine.code] line 3: vaccine type \"6\" is not a two-digit code",
            path.display()
        )
    );
}

#[tokio::test]
async fn a_url_answering_json() {
    let body = r#"{"lots": [{"vaccine_code": "08", "lot_number": "ASPNA186DF", "expiry_date": "2027-01-31"},
                            {"vaccine_code": "28", "lot_number": "35187"}]}"#;
    // The content type is not trusted: the configuration says JSON.
    let (base, server) = serve(response("200 OK", "text/html", body));
    let config = url(
        format!("{base}/lots?token=s3cret"),
        SourceFormat::Json,
        Duration::from_secs(5),
    );
    let snapshot = source::read(&config, today(), &lotgate::vaccine::CodeList::builtin())
        .await
        .expect("valid");
    assert_eq!(snapshot.lots.len(), 2);
    let head = server.join().expect("server");
    assert!(
        head.starts_with("GET /lots?token=s3cret HTTP/1.1\r\n"),
        "{head}"
    );
}

#[tokio::test]
async fn a_url_answering_csv() {
    let body =
        "vaccine_code;lot_number;expiry_date\r\n08;ASPNA186DF;2027-01-31\r\n06;VNS1L07B;\r\n";
    let (base, server) = serve(response("200 OK", "text/csv; charset=utf-8", body));
    let config = url(
        format!("{base}/export.csv"),
        SourceFormat::Csv,
        Duration::from_secs(5),
    );
    let snapshot = source::read(&config, today(), &lotgate::vaccine::CodeList::builtin())
        .await
        .expect("valid");
    assert_eq!(snapshot.lots.len(), 2);
    server.join().expect("server");
}

#[tokio::test]
async fn a_server_error_is_unreadable_and_hides_the_query() {
    let (base, server) = serve(response(
        "500 Internal Server Error",
        "text/plain",
        "database down",
    ));
    let config = url(
        format!("{base}/lots?token=s3cret"),
        SourceFormat::Json,
        Duration::from_secs(5),
    );
    let (error, reason) =
        unreadable(source::read(&config, today(), &lotgate::vaccine::CodeList::builtin()).await);
    assert_eq!(reason, "the server answered HTTP 500 Internal Server Error");
    assert_eq!(
        error.to_string(),
        format!(
            "the inventory source (URL {base}/lots?…) cannot be read: the server answered \
             HTTP 500 Internal Server Error"
        )
    );
    server.join().expect("server");
}

#[tokio::test]
async fn a_body_over_the_limit_is_unreadable() {
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n[",
        MAX_SOURCE_BYTES + 1
    );
    let (base, server) = serve(Some(head.into_bytes()));
    let config = url(base, SourceFormat::Json, Duration::from_secs(5));
    let (_, reason) =
        unreadable(source::read(&config, today(), &lotgate::vaccine::CodeList::builtin()).await);
    assert_eq!(reason, "it is larger than 64 MiB, the most a source may be");
    server.join().expect("server");
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    let (base, server) = serve(None);
    let config = url(base, SourceFormat::Json, Duration::from_secs(1));
    let started = Instant::now();
    let (_, reason) =
        unreadable(source::read(&config, today(), &lotgate::vaccine::CodeList::builtin()).await);
    let took = started.elapsed();
    assert_eq!(reason, "no complete answer within 1s");
    assert!(
        took >= Duration::from_millis(950) && took < Duration::from_secs(5),
        "{took:?}"
    );
    // The client closes the connection when it gives up; joined off the runtime's
    // thread, which has to run the connection's task for that.
    let started = Instant::now();
    tokio::task::spawn_blocking(move || server.join())
        .await
        .expect("joined")
        .expect("server");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_refused_connection_is_unreadable() {
    // A port that was free a moment ago: nothing listens there now.
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let config = url(
        format!("http://127.0.0.1:{port}/lots"),
        SourceFormat::Csv,
        Duration::from_secs(5),
    );
    let (error, reason) =
        unreadable(source::read(&config, today(), &lotgate::vaccine::CodeList::builtin()).await);
    assert!(
        reason.starts_with("cannot connect: ") && reason.contains("refused"),
        "{reason}"
    );
    assert!(
        error
            .to_string()
            .contains(&format!("127.0.0.1:{port}/lots"))
    );
}
