//! Safe defaults of the admin listener: on a non-loopback address (allowed with
//! `insecure = true`) every change needs the bearer token from `admin.token_file`.

use crate::support::gateway;
use crate::support::http::{Response, read_response};
use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

const TOKEN: &str = "s3cret-admin-token";

/// One request with optional `Authorization` header.
fn call(addr: SocketAddr, method: &str, path: &str, authorization: Option<&str>) -> Response {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let auth = authorization
        .map(|a| format!("Authorization: {a}\r\n"))
        .unwrap_or_default();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Content-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .expect("write");
    read_response(&mut stream)
}

#[test]
fn changes_on_a_non_loopback_admin_listener_need_the_token() {
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path();
    let token_file = dir.join("admin-token");
    std::fs::write(&token_file, format!("{TOKEN}\n")).expect("write token");
    let config = gateway::receiver_config(dir, "", &gateway::file_mail(dir)).replacen(
        "listen = \"127.0.0.1:0\"",
        &format!(
            "listen = \"0.0.0.0:0\"\ninsecure = true\ntoken_file = \"{}\"",
            token_file.display()
        ),
        1,
    );
    let receiver = gateway::start(dir, &config);
    assert!(receiver.admin.ip().is_unspecified(), "{}", receiver.admin);
    let admin = SocketAddr::from(([127, 0, 0, 1], receiver.admin.port()));

    // Reading needs no token.
    assert_eq!(call(admin, "GET", "/api/v1/set", None).status, 200);
    assert_eq!(call(admin, "GET", "/api/v1/quarantine", None).status, 200);
    assert_eq!(call(admin, "GET", "/api/v1/mail", None).status, 200);
    // A change without the token, with a wrong one, or not as a bearer token: 401.
    for auth in [
        None,
        Some("Bearer wrong-token"),
        Some(&format!("Bearer {TOKEN}x")[..]),
        Some(&format!("Basic {TOKEN}")[..]),
    ] {
        for change in [
            "/api/v1/quarantine/1/accept",
            "/api/v1/mail/retry",
            "/api/v1/mail/m-1/retry",
            "/api/v1/mail/m-1/discard",
        ] {
            let answer = call(admin, "POST", change, auth);
            assert_eq!(answer.status, 401, "{change} {auth:?}: {}", answer.text());
            assert_eq!(answer.header("www-authenticate"), Some("Bearer"));
            assert!(
                !answer.text().contains(TOKEN),
                "the answer echoes the token"
            );
        }
    }
    // With the token: no such mail.
    let answer = call(
        admin,
        "POST",
        "/api/v1/mail/m-1/discard",
        Some(&format!("Bearer {TOKEN}")),
    );
    assert_eq!(answer.status, 404, "{}", answer.text());
    // With the token the change is carried out (here: there is no quarantined set 1).
    let answer = call(
        admin,
        "POST",
        "/api/v1/quarantine/1/accept",
        Some(&format!("Bearer {TOKEN}")),
    );
    assert_eq!(answer.status, 404, "{}", answer.text());

    // The command line sends the token from the configuration.
    let copy = dir.join("cli-config.toml");
    std::fs::write(
        &copy,
        config.replacen(
            "listen = \"0.0.0.0:0\"",
            &format!("listen = \"0.0.0.0:{}\"", admin.port()),
            1,
        ),
    )
    .expect("write config copy");
    let out = crate::support::lotgate(&[
        "quarantine",
        "accept",
        "1",
        "--config",
        copy.to_str().expect("utf-8 path"),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(!stdout.contains("admin token"), "{stdout}");
    assert!(stdout.contains("error"), "{stdout}");
}
