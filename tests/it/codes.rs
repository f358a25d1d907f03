//! Releases of the vaccine-type code list from outside: a `gateway.code_list` file adds
//! a code (valid now) and one valid only from a later date. The receiver warns about the
//! later one and an unlisted one but not about the new one; without the file it warns
//! about all three. The sender takes the new code's name from the same file when its
//! source leaves the name out, and refuses such a source without it. `check-config`
//! shows the release in force.

use crate::support::gateway::{self, Gateway};
use crate::support::lotgate;
use lotgate::lot::{Lot, LotNumber, LotSet};
use lotgate::vaccine::{VaccineCode, VaccineType};
use std::path::Path;

/// The release: W0422's 08, a new 31, and 32 valid only from 2099.
const RELEASE: &str = "code,name,valid_from\n08,Pneu,\n31,Nieuw vaccin,2020-01-01\n\
                       32,Later vaccin,2099-01-01\n";

fn lot(number: &str, code: &str, name: &str) -> Lot {
    Lot {
        number: LotNumber::parse(number).unwrap(),
        vaccine: VaccineType::new(VaccineCode::parse(code).unwrap(), name),
        expires: None,
    }
}

/// A receiver, with the release above when `with_release`.
fn receiver(dir: &Path, with_release: bool) -> Gateway {
    let mut config = gateway::receiver_config(dir, "", &gateway::file_mail(dir));
    if with_release {
        let release = dir.join("codes.csv");
        std::fs::write(&release, RELEASE).unwrap();
        config = config.replacen(
            "[gateway]\n",
            &format!("[gateway]\ncode_list = \"{}\"\n", release.display()),
            1,
        );
    }
    gateway::start(dir, &config)
}

/// The codes the receiver's import report warns about for a message with codes 08, 31,
/// 32 and 33.
fn warned_codes(receiver: &Gateway) -> Vec<String> {
    let lots = LotSet::new(vec![
        lot("CODE0001", "08", "Pneu"),
        lot("CODE0002", "31", "Nieuw vaccin"),
        lot("CODE0003", "32", "Later vaccin"),
        lot("CODE0004", "33", "Onbekend vaccin"),
    ])
    .unwrap();
    let message = lotgate::sample::message_with(lots, "CODES-1");
    let answer = receiver.post(lotgate::wire::soap::message_envelope(&message).as_bytes());
    assert_eq!(crate::support::ack_type(&answer.text()), "CA");
    let report = receiver.history().remove(0);
    assert_eq!(report.outcome, "applied");
    report
        .warnings
        .iter()
        .inspect(|w| assert_eq!(w.code, "vaccine.unknown-code", "{w:?}"))
        .map(|w| w.text.clone())
        .collect()
}

#[test]
fn the_receiver_checks_vaccine_types_against_the_release_in_force() {
    let temp = tempfile::tempdir().unwrap();
    let with = receiver(temp.path(), true);
    assert_eq!(
        warned_codes(&with),
        [
            "vaccine type 32 is in value set W0422 only from 2099-01-01",
            "vaccine type 33 is not in value set W0422",
        ]
    );
    let check = lotgate(&[
        "check-config",
        "--config",
        temp.path().join("config.toml").to_str().unwrap(),
    ]);
    let summary = String::from_utf8_lossy(&check.stdout);
    assert!(
        summary.contains(&format!(
            "vaccine types: {} (3 codes; 31 from 2020-01-01, 32 from 2099-01-01)",
            temp.path().join("codes.csv").display()
        )),
        "{summary}"
    );

    let other = tempfile::tempdir().unwrap();
    let built_in = receiver(other.path(), false);
    assert_eq!(
        warned_codes(&built_in),
        [
            "vaccine type 31 is not in value set W0422",
            "vaccine type 32 is not in value set W0422",
            "vaccine type 33 is not in value set W0422",
        ]
    );
}

#[test]
fn the_sender_names_a_new_code_from_the_same_release() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path();
    let mut config = crate::support::sender::sender_config(
        dir,
        &[("west", "http://127.0.0.1:9/jgz".to_owned(), "99999002")],
        std::time::Duration::from_secs(3600),
        &gateway::file_mail(dir),
    );
    // The source: a lot of the new code 31 without a vaccine name.
    std::fs::write(
        dir.join("inventory.csv"),
        "vaccine_code,lot_number,expiry_date\n08,CODE0001,2030-01-31\n31,CODE0002,2030-01-31\n",
    )
    .unwrap();
    let path = dir.join("config.toml");
    std::fs::write(&path, &config).unwrap();
    let out = lotgate(&["send-now", "--dry-run", "--config", path.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("vaccine type 31 is not in value set W0422 and has no vaccine_name"),
        "{text}"
    );

    std::fs::write(dir.join("codes.csv"), RELEASE).unwrap();
    config = config.replacen(
        "[gateway]\n",
        &format!(
            "[gateway]\ncode_list = \"{}\"\n",
            dir.join("codes.csv").display()
        ),
        1,
    );
    std::fs::write(&path, &config).unwrap();
    let message = dir.join("message.xml");
    let out = lotgate(&[
        "send-now",
        "--dry-run",
        "--output",
        message.to_str().unwrap(),
        "--config",
        path.to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.starts_with("inventory source: 2 lot numbers\n"),
        "{text}"
    );
    let xml = std::fs::read_to_string(&message).unwrap();
    assert!(
        xml.contains("code=\"31\"") && xml.contains("displayName=\"Nieuw vaccin\""),
        "{xml}"
    );
}

#[test]
fn lotgate_validate_takes_a_release_too() {
    let temp = tempfile::tempdir().unwrap();
    let release = temp.path().join("codes.csv");
    std::fs::write(&release, RELEASE).unwrap();
    let lots = LotSet::new(vec![lot("CODE0002", "31", "Nieuw vaccin")]).unwrap();
    let message = temp.path().join("message.xml");
    std::fs::write(
        &message,
        lotgate::wire::soap::message_envelope(&lotgate::sample::message_with(lots, "CODES-2")),
    )
    .unwrap();
    let validate = |extra: &[&str]| {
        let mut args = vec!["validate", message.to_str().unwrap(), "--lang", "en"];
        args.extend_from_slice(extra);
        let out = lotgate(&args);
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, built_in, _) = validate(&[]);
    assert_eq!(code, Some(0), "{built_in}");
    assert!(built_in.contains("0 error(s), 1 warning(s)"), "{built_in}");
    assert!(built_in.contains("vaccine type 31 is not in value set W0422"));
    let (code, released, _) = validate(&["--code-list", release.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{released}");
    assert!(released.contains("0 error(s), 0 warning(s)"), "{released}");

    std::fs::write(&release, "code,name\n3,Drie\n").unwrap();
    let (code, out, err) = validate(&["--code-list", release.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{out}");
    assert!(
        err.contains("line 2: vaccine code \"3\" is not two digits"),
        "{err}"
    );
    assert!(out.is_empty(), "no report without a usable release: {out}");
}
