use super::*;
use std::path::Path;

const BASE: &str = r#"
[gateway]
data_dir = "/var/lib/lotgate"
log = "info"
[admin]
listen = "127.0.0.1:8081"
[mail]
transport = "file"
from = "lotgate@example.org"
file_dir = "/var/lib/lotgate/mail"
[sender]
application_id = "99999001"
message_id_root = "2.16.840.1.113883.2.4.6.6.99999001.1"
administrators = ["beheer@example.org"]
send_at = "02:00"
[sender.source]
file = "/var/lib/lotgate/inventory.csv"
[[sender.destination]]
name = "local"
url = "http://127.0.0.1:8080/jgz"
application_id = "99999002"
contact = { name = "J. Jansen", email = "jgz@example.org" }
[receiver]
listen = "127.0.0.1:8080"
path = "/jgz"
application_id = "99999002"
allowed_senders = ["99999001"]
administrators = ["beheer@example.org"]
"#;

fn config(text: &str) -> Config {
    Config::parse(text, Path::new("/etc/lotgate")).expect("a valid configuration")
}

/// The base configuration with `from` replaced by `to`.
fn changed(from: &str, to: &str) -> Config {
    assert!(BASE.contains(from), "{from}");
    config(&BASE.replacen(from, to, 1))
}

#[test]
fn the_same_configuration_changes_nothing() {
    let running = config(BASE);
    let merged = merge(&running, config(BASE));
    assert_eq!(merged.config, running);
    assert!(merged.applied.is_empty(), "{:?}", merged.applied);
    assert!(merged.restart.is_empty(), "{:?}", merged.restart);
}

#[test]
fn what_may_change_while_running_is_taken() {
    let running = config(BASE);
    let read = changed(
        r#"administrators = ["beheer@example.org"]
send_at"#,
        r#"administrators = ["ops@example.org"]
send_at"#,
    );
    let merged = merge(&running, read.clone());
    assert_eq!(merged.applied, ["sender.administrators"]);
    assert!(merged.restart.is_empty());
    assert_eq!(merged.config, read);

    let read = changed(r#"log = "info""#, r#"log = "lotgate=debug,info""#);
    let merged = merge(&running, read.clone());
    assert_eq!(merged.applied, ["gateway.log"]);
    assert_eq!(merged.config.gateway.log, "lotgate=debug,info");

    let read = changed(
        r#"allowed_senders = ["99999001"]"#,
        r#"allowed_senders = ["99999001", "99999003"]"#,
    );
    let merged = merge(&running, read);
    assert_eq!(merged.applied, ["receiver.allowed_senders"]);
    assert_eq!(merged.config.receiver.unwrap().allowed_senders.len(), 2);
}

#[test]
fn what_needs_a_restart_keeps_its_running_value() {
    let running = config(BASE);
    let read = changed(
        r#"listen = "127.0.0.1:8080""#,
        r#"listen = "127.0.0.1:9090""#,
    );
    let merged = merge(&running, read);
    assert_eq!(merged.restart, ["receiver.listen"]);
    assert!(merged.applied.is_empty());
    assert_eq!(merged.config, running);

    for (from, to, key) in [
        (
            r#"data_dir = "/var/lib/lotgate""#,
            r#"data_dir = "/srv/lotgate""#,
            "gateway.data_dir",
        ),
        (
            r#"listen = "127.0.0.1:8081""#,
            r#"listen = "127.0.0.1:8082""#,
            "admin.listen",
        ),
        (
            r#"send_at = "02:00""#,
            r#"send_at = "03:00""#,
            "sender (schedule)",
        ),
    ] {
        let merged = merge(&running, changed(from, to));
        assert_eq!(merged.restart, [key]);
        assert_eq!(merged.config, running, "{key}");
    }
}

#[test]
fn a_role_switched_on_or_off_needs_a_restart_and_the_rest_is_applied() {
    let running = config(BASE);
    let text = BASE.replacen("[receiver]\n", "[receiver]\nenabled = false\n", 1);
    let read = config(&text.replacen(
        r#"administrators = ["beheer@example.org"]
send_at"#,
        r#"administrators = ["ops@example.org"]
send_at"#,
        1,
    ));
    assert!(read.receiver.is_none());
    let merged = merge(&running, read);
    assert_eq!(merged.restart, ["[receiver] (the roles)"]);
    assert_eq!(merged.applied, ["sender.administrators"]);
    assert_eq!(merged.config.receiver, running.receiver);
}
