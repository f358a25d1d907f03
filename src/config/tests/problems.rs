//! One test per kind of configuration problem: each must name its key, and all of them
//! must be reported together.

use super::*;

#[test]
fn unknown_keys_are_named() {
    let p = only_problem(&minimal_with("[sender]", "retrys = 3"), "sender.retrys");
    assert!(p.message.contains("did you mean `retries`?"), "{p}");
    assert_eq!(p.line, Some(6));
    let p = only_problem(
        &minimal_with("name = \"ggd-a\"", "urll = \"https://x.example/\""),
        "sender.destination[0].urll",
    );
    assert!(p.message.contains("expected one of"), "{p}");
    let p = only_problem(&format!("{MINIMAL}\n[tls]\nca = \"x\"\n"), "tls");
    assert!(p.message.contains("unknown key"), "{p}");
}

#[test]
fn wrong_types_are_named_once() {
    let p = only_problem(
        &minimal_with("[sender]", "retries = \"three\""),
        "sender.retries",
    );
    assert!(
        p.message.contains("wrong type") && p.message.contains("integer"),
        "{p}"
    );
    // A required key of the wrong type is not reported as missing as well.
    let text = MINIMAL.replace("application_id = \"99999001\"", "application_id = 99999001");
    let p = only_problem(&text, "sender.application_id");
    assert!(p.message.contains("expected a string"), "{p}");
}

#[test]
fn bad_values_name_their_key() {
    let cases = [
        (
            "[sender]",
            "interval = \"10x\"",
            "sender.interval",
            "not a duration",
        ),
        (
            "[sender]",
            "pause = \"1500ms\"",
            "sender.pause",
            "whole number of seconds",
        ),
        ("[sender]", "send_at = \"25:00\"", "sender.send_at", "HH:MM"),
        (
            "[sender]",
            "escalate_at = \"7\"",
            "sender.escalate_at",
            "HH:MM",
        ),
        (
            "[sender]",
            "max_in_flight = 0",
            "sender.max_in_flight",
            "1 to 256",
        ),
        (
            "[receiver]",
            "max_body = \"8MB\"",
            "receiver.max_body",
            "MiB",
        ),
        (
            "[receiver]",
            "max_body = 100",
            "receiver.max_body",
            "1KiB to 256MiB",
        ),
        (
            "[receiver]",
            "max_connections = 16\nmax_connections_per_address = 17",
            "receiver.max_connections_per_address",
            "more than receiver.max_connections (16)",
        ),
        (
            "[receiver]",
            "max_connections_per_address = 0",
            "receiver.max_connections_per_address",
            "1 to 100000",
        ),
        (
            "[receiver]",
            "duplicate_retention = \"3d\"",
            "receiver.duplicate_retention",
            "at least 7days",
        ),
        (
            "[receiver]",
            "shrink_guard_fraction = 1.5",
            "receiver.shrink_guard_fraction",
            "0.0",
        ),
        (
            "[receiver]",
            "path = \"jgz\"",
            "receiver.path",
            "start with '/'",
        ),
        (
            "[receiver]",
            "jgz_contact = \"nobody\"",
            "receiver.jgz_contact",
            "not an email address",
        ),
        (
            "[mail]",
            "transport = \"sendmail\"",
            "mail.transport",
            "\"file\" or \"smtp\"",
        ),
        (
            "[sender.source]",
            "format = \"xml\"",
            "sender.source.format",
            "\"csv\" or \"json\"",
        ),
    ];
    for (after, line, key, words) in cases {
        let p = only_problem(&minimal_with(after, line), key);
        assert!(p.message.contains(words), "{line}: {p}");
    }
    let text = minimal_with(
        "[sender]",
        "administrators = [\"ok@example.org\", \"not-an-address\"]",
    )
    .replacen("administrators = [\"beheer@example.org\"]\n", "", 1);
    only_problem(&text, "sender.administrators[1]");
}

#[test]
fn gateway_values_are_checked() {
    let text = format!(
        "[gateway]\ntime_zone = \"Europe/Amsterdan\"\nlanguage = \"de\"\nlog = \"lotgate=loud\"\n{MINIMAL}"
    );
    let found = problems(&text);
    let keys: Vec<&str> = found.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(
        keys,
        ["gateway.time_zone", "gateway.language", "gateway.log"],
        "{found:#?}"
    );
    assert!(found[0].message.contains("IANA"));
    assert_eq!(found[0].line, Some(2));
}

#[test]
fn attempt_timeout_must_be_shorter_than_interval() {
    let text = minimal_with("[sender]", "interval = \"1m\"\nattempt_timeout = \"60s\"");
    let p = only_problem(&text, "sender.attempt_timeout");
    assert!(p.message.contains("shorter than sender.interval"), "{p}");
    assert!(parse(&minimal_with("[sender]", "interval = \"61s\"")).is_ok());
}

#[test]
fn destination_names_are_unique() {
    // TOML allows adding to an array of tables after other tables.
    let text = format!(
        "{MINIMAL}\n[[sender.destination]]\nname = \"ggd-a\"\nurl = \"https://b.example/\"\n\
         application_id = \"99999003\"\ncontact = {{ email = \"b@example.org\" }}\n"
    );
    let p = only_problem(&text, "sender.destination[1].name");
    assert!(p.message.contains("unique"), "{p}");
}

#[test]
fn missing_required_keys_are_named() {
    let text = MINIMAL.replace("application_id = \"99999001\"\n", "");
    let p = only_problem(&text, "sender.application_id");
    assert!(p.message.starts_with("required"), "{p}");
    assert_eq!(p.line, Some(5), "the line of [sender]");
    let text = MINIMAL.replace("allowed_senders = [\"99999001\"]\n", "");
    only_problem(&text, "receiver.allowed_senders");
    let text = MINIMAL.replace("from = \"lotgate@example.org\"\n", "");
    only_problem(&text, "mail.from");
    let text = MINIMAL.replace("contact = { name = \"J. Jansen\" }\n", "");
    only_problem(&text, "sender.destination[0].contact");
    let text = MINIMAL.replace("contact = { name = \"J. Jansen\" }", "contact = {}");
    only_problem(&text, "sender.destination[0].contact");
}

#[test]
fn plain_smtp_only_to_loopback() {
    let smtp = |host: &str| {
        minimal_with(
            "from = \"lotgate@example.org\"",
            &format!("transport = \"smtp\"\n[mail.smtp]\nhost = \"{host}\"\nsecurity = \"plain\""),
        )
    };
    let p = only_problem(&smtp("smtp.example.org"), "mail.smtp.security");
    assert!(p.message.contains("loopback"), "{p}");
    for host in ["localhost", "127.0.0.1", "::1"] {
        let config = parse(&smtp(host)).unwrap_or_else(|e| panic!("{host}: {e}"));
        let MailTransport::Smtp(s) = config.mail.transport else {
            panic!("not smtp")
        };
        assert_eq!((s.port, s.security), (25, SmtpSecurity::Plain));
    }
}

#[test]
fn passwords_do_not_belong_in_the_file() {
    let text = minimal_with(
        "from = \"lotgate@example.org\"",
        "transport = \"smtp\"\n[mail.smtp]\nhost = \"smtp.example.org\"\nusername = \"lotgate\"\npassword = \"geheim\"",
    );
    let p = only_problem(&text, "mail.smtp.password");
    assert!(
        p.message.contains("password_file") && p.message.contains("password_env"),
        "{p}"
    );
    assert!(!p.message.contains("geheim"), "the secret is not repeated");
    let text = text.replace(
        "password = \"geheim\"",
        "password_env = \"LOTGATE_SMTP_PASSWORD\"",
    );
    let config = parse(&text).unwrap_or_else(|e| panic!("{e}"));
    let MailTransport::Smtp(s) = config.mail.transport else {
        panic!("not smtp")
    };
    assert_eq!(s.port, 587);
    let credentials = s.credentials.unwrap();
    assert_eq!(
        credentials.password,
        SecretSource::Env("LOTGATE_SMTP_PASSWORD".into())
    );
}

#[test]
fn non_loopback_listen_needs_insecure() {
    let text = minimal_with("[receiver]", "listen = \"0.0.0.0:8080\"");
    let p = only_problem(&text, "receiver.listen");
    assert!(p.message.contains("receiver.insecure = true"), "{p}");
    assert!(
        parse(&minimal_with(
            "[receiver]",
            "listen = \"0.0.0.0:8080\"\ninsecure = true"
        ))
        .is_ok()
    );

    let text = format!("[admin]\nlisten = \"192.0.2.1:8081\"\n{MINIMAL}");
    let found = problems(&text);
    let keys: Vec<&str> = found.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(keys, ["admin.token_file", "admin.listen"], "{found:#?}");
    assert!(found[1].message.contains("admin.insecure = true"));
    let text = format!(
        "[admin]\nlisten = \"192.0.2.1:8081\"\ninsecure = true\ntoken_file = \"token\"\n{MINIMAL}"
    );
    let config = parse(&text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        config.admin.token_file,
        Some(PathBuf::from("/etc/lotgate/token"))
    );
}

#[test]
fn listen_addresses_must_differ() {
    let text = minimal_with("[receiver]", "listen = \"127.0.0.1:8081\"");
    only_problem(&text, "receiver.listen");
    // Port 0 picks a free port each time, so it never clashes.
    let text = format!(
        "[admin]\nlisten = \"127.0.0.1:0\"\n{}",
        minimal_with("[receiver]", "listen = \"127.0.0.1:0\"")
    );
    assert!(parse(&text).is_ok());
}

#[test]
fn urls_with_credentials_are_refused() {
    let text = MINIMAL.replace(
        "https://dd-jgz.example/",
        "https://user:pass@dd-jgz.example/",
    );
    let p = only_problem(&text, "sender.destination[0].url");
    assert!(p.message.contains("credentials"), "{p}");
    assert!(!p.message.contains("pass@"), "the secret is not repeated");
    let text = MINIMAL.replace(
        "file = \"inventory.csv\"",
        "url = \"https://u:p@inventory.example/lots\"",
    );
    only_problem(&text, "sender.source.url");
}

#[test]
fn source_needs_exactly_one_location_and_a_format() {
    let text = MINIMAL.replace(
        "file = \"inventory.csv\"",
        "file = \"a.csv\"\nurl = \"https://x.example/\"",
    );
    only_problem(&text, "sender.source");
    let text = MINIMAL.replace("file = \"inventory.csv\"", "file = \"lots.txt\"");
    only_problem(&text, "sender.source.format");
    let text = MINIMAL.replace(
        "file = \"inventory.csv\"",
        "url = \"https://inventory.example/lots\"",
    );
    let config = parse(&text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.sender.unwrap().source.format, SourceFormat::Json);
}

#[test]
fn sections_must_have_the_right_form() {
    let p = only_problem(&format!("[[gateway]]\n{MINIMAL}"), "gateway");
    assert!(p.message.contains("write it as [gateway]"), "{p}");
    let text = MINIMAL.replace("[[sender.destination]]", "[sender.destination]");
    let p = only_problem(&text, "sender.destination");
    assert!(p.message.contains("[[sender.destination]]"), "{p}");
}

#[test]
fn at_least_one_role() {
    let text = MINIMAL
        .replace("[sender]", "[sender]\nenabled = false")
        .replace("[receiver]", "[receiver]\nenabled = false");
    let found = problems(&text);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(
        found[0].message.contains("no role is enabled"),
        "{}",
        found[0]
    );
    let found = problems("[mail]\nfrom = \"lotgate@example.org\"\n");
    assert!(found[0].message.contains("[sender] or [receiver]"));
}

#[test]
fn all_problems_are_collected() {
    let text = minimal_with("[sender]", "retrys = 3\ninterval = \"soon\"")
        .replace("allowed_senders = [\"99999001\"]", "allowed_senders = []");
    let err = parse(&text).unwrap_err();
    let keys: Vec<&str> = err.problems().iter().map(|p| p.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "sender.retrys",
            "sender.interval",
            "receiver.allowed_senders"
        ]
    );
    let shown = err.to_string();
    assert_eq!(shown.lines().count(), 3, "{shown}");
    assert!(
        shown.starts_with("sender.retrys (line 6): unknown key"),
        "{shown}"
    );
}

#[test]
fn syntax_errors_give_line_and_column() {
    let err = parse("[sender]\nretries = \n").unwrap_err();
    let p = &err.problems()[0];
    assert_eq!(p.line, Some(2));
    assert!(p.message.contains("line 2, column 11"), "{p}");
}

#[test]
fn an_organization_name_must_be_carriable_in_xml() {
    let text = minimal_with(
        "[sender]",
        "uzi_server_id = \"900099999\"\norganization_ura = \"00009999\"\norganization_name = \"GGD\\u0007\"",
    );
    let p = only_problem(&text, "sender.organization_name");
    assert!(p.message.contains("U+0007"), "{p}");
}

/// `MINIMAL` with two-way TLS on the receiver, and `extra` appended.
fn with_receiver_tls(extra: &str) -> String {
    format!(
        "{}\n[receiver.tls]\ncertificate = \"receiver.pem\"\nprivate_key_env = \"LOTGATE_KEY\"\n\
         client_ca = [\"uzi-ca.pem\"]\n{extra}",
        MINIMAL.replace("[receiver]\n", "[receiver]\nlisten = \"0.0.0.0:8443\"\n")
    )
}

#[test]
fn receiver_tls_allows_a_public_listener_and_maps_identities() {
    let text = with_receiver_tls(
        "[[receiver.tls.client]]\nserial_number = \"00000001234567890000\"\n\
         application_ids = [\"99999001\"]\n\n[[receiver.tls.client]]\ndns_name = \"lotgate.example\"\n\
         application_ids = [\"99999001\", \"99999001\"]\n",
    );
    let config = parse(&text).unwrap_or_else(|e| panic!("{e}"));
    let receiver = config.receiver.expect("receiver");
    let tls = receiver.tls.expect("tls");
    assert_eq!(tls.certificate, PathBuf::from("/etc/lotgate/receiver.pem"));
    assert_eq!(tls.private_key, SecretSource::Env("LOTGATE_KEY".into()));
    assert_eq!(tls.client_ca, [PathBuf::from("/etc/lotgate/uzi-ca.pem")]);
    assert_eq!(tls.expiry_warning, Duration::from_secs(30 * 86_400));
    assert_eq!(
        tls.clients[0].identity,
        CertificateIdentity::SerialNumber("00000001234567890000".into())
    );
    assert_eq!(
        tls.clients[1].application_ids.len(),
        1,
        "duplicates dropped"
    );
    assert!(!receiver.insecure);
}

#[test]
fn receiver_tls_problems_name_their_keys() {
    let p = only_problem(&with_receiver_tls(""), "receiver.tls.client");
    assert!(p.message.contains("serial_number"), "{p}");
    let p = only_problem(
        &with_receiver_tls(
            "[[receiver.tls.client]]\nserial_number = \"1\"\ncommon_name = \"x\"\n\
             application_ids = [\"99999001\"]\n",
        ),
        "receiver.tls.client[0].serial_number",
    );
    assert!(p.message.contains("one of"), "{p}");
    let p = only_problem(
        &with_receiver_tls(
            "[[receiver.tls.client]]\ncommon_name = \"x\"\napplication_ids = [\"99999077\"]\n",
        ),
        "receiver.tls.client[0].application_ids[0]",
    );
    assert!(p.message.contains("allowed_senders"), "{p}");
    only_problem(
        &with_receiver_tls("[[receiver.tls.client]]\ncommon_name = \"x\"\n"),
        "receiver.tls.client[0].application_ids",
    );
    let text = with_receiver_tls(
        "expiry_warning = \"2h\"\n[[receiver.tls.client]]\ncommon_name = \"x\"\n\
         application_ids = [\"99999001\"]\n",
    )
    .replace("client_ca = [\"uzi-ca.pem\"]\n", "")
    .replace("private_key_env = \"LOTGATE_KEY\"\n", "");
    let keys: Vec<String> = problems(&text).into_iter().map(|p| p.key).collect();
    assert_eq!(
        keys,
        [
            "receiver.tls.private_key_file",
            "receiver.tls.client_ca",
            "receiver.tls.expiry_warning"
        ]
    );
}

#[test]
fn private_keys_do_not_belong_in_the_file() {
    let text = with_receiver_tls("private_key = \"-----BEGIN PRIVATE KEY-----\"\n");
    let found = problems(&text);
    let p = found
        .iter()
        .find(|p| p.key == "receiver.tls.private_key")
        .unwrap_or_else(|| panic!("{found:#?}"));
    assert!(p.message.contains("private_key_file"), "{p}");
    assert!(!p.to_string().contains("BEGIN"), "{p}");
}

#[test]
fn destinations_need_tls_or_an_explicit_insecure() {
    let without_tls = MINIMAL.replace(
        "[sender.tls]\ncertificate = \"sender.pem\"\nprivate_key_file = \"sender-key.pem\"\nroots = [\"receiver-ca.pem\"]\n",
        "",
    );
    let p = only_problem(&without_tls, "sender.destination[0].url");
    assert!(p.message.contains("[sender.tls]"), "{p}");
    let plain = MINIMAL.replace("https://dd-jgz.example", "http://dd-jgz.example");
    let p = only_problem(&plain, "sender.destination[0].url");
    assert!(p.message.contains("insecure = true"), "{p}");
    let allowed = plain.replace(
        "contact = { name = \"J. Jansen\" }",
        "contact = { name = \"J. Jansen\" }\ninsecure = true",
    );
    assert!(parse(&allowed).unwrap().sender.unwrap().destinations[0].insecure);
    let local = without_tls.replace("https://dd-jgz.example", "http://localhost:8080");
    parse(&local).unwrap_or_else(|e| panic!("{e}"));
    let p = only_problem(
        &MINIMAL.replace("roots = [\"receiver-ca.pem\"]\n", ""),
        "sender.tls.roots",
    );
    assert!(p.message.contains("CA certificates"), "{p}");
}

#[test]
fn smtp_roots_are_resolved_paths() {
    let text = MINIMAL.replace(
        "[mail]\nfrom = \"lotgate@example.org\"\n",
        "[mail]\nfrom = \"lotgate@example.org\"\ntransport = \"smtp\"\n\n[mail.smtp]\n\
         host = \"smtp.example.org\"\nroots = [\"smtp-ca.pem\"]\n",
    );
    let config = parse(&text).unwrap_or_else(|e| panic!("{e}"));
    let MailTransport::Smtp(smtp) = config.mail.transport else {
        panic!("smtp expected")
    };
    assert_eq!(smtp.roots, [PathBuf::from("/etc/lotgate/smtp-ca.pem")]);
}

#[test]
fn a_code_list_is_read_and_every_problem_in_it_names_the_key_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("codes.csv");
    let text = |file: &std::path::Path| {
        format!("[gateway]\ncode_list = \"{}\"\n{MINIMAL}", file.display())
    };
    std::fs::write(&path, "code,name,valid_from\n31,Nieuw,2027-01-01\n").unwrap();
    let config = Config::parse(&text(&path), dir.path()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.gateway.codes.release(), path.display().to_string());
    assert_eq!(config.gateway.codes.entries().len(), 1);
    assert!(config.summary().contains(&format!(
        "vaccine types: {} (1 code; 31 from 2027-01-01)",
        path.display()
    )));
    // Relative to the configuration file's directory.
    let relative = Config::parse("[gateway]\ncode_list = \"codes.csv\"\n", dir.path())
        .map(|c| c.gateway.codes.entries().len());
    assert!(
        !matches!(relative, Err(ref e) if e.problems().iter().any(|p| p.key == "gateway.code_list"))
    );

    std::fs::write(&path, "code,name\n31,\n3,Drie\n").unwrap();
    let found: Vec<Problem> = match Config::parse(&text(&path), dir.path()) {
        Ok(_) => panic!("a broken code list was accepted"),
        Err(e) => e.problems().to_vec(),
    };
    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(found.iter().all(|p| p.key == "gateway.code_list"));
    assert!(
        found[0].message.contains("line 2: code 31 needs a name"),
        "{}",
        found[0]
    );
    assert!(
        found[1]
            .message
            .contains("line 3: vaccine code \"3\" is not two digits")
    );

    let missing = dir.path().join("missing.csv");
    let p = match Config::parse(&text(&missing), dir.path()) {
        Ok(_) => panic!("a missing code list was accepted"),
        Err(e) => e.problems()[0].clone(),
    };
    assert_eq!(p.key, "gateway.code_list");
    assert!(p.message.contains("missing.csv: cannot be read"), "{p}");
    // Without the key: the built-in release.
    assert_eq!(
        parse(MINIMAL).unwrap().gateway.codes.release(),
        "built-in W0422"
    );
}

#[test]
fn partners_have_a_phase_and_a_connecting_one_never_replaces_the_set_in_place() {
    let with = |tables: &str| format!("{MINIMAL}{tables}");
    let table = |id: &str, phase: &str| {
        format!(
            "\n[[receiver.sender]]\napplication_id = \"{id}\"\nname = \"GGD {id}\"\n{phase}\n\
             contact = [\"koppeling@example.org\"]\n"
        )
    };
    let config = parse(&with(&format!(
        "{}{}",
        table("99999005", "phase = \"connect\""),
        table("99999006", "phase = \"production\"")
    )))
    .unwrap_or_else(|e| panic!("{e}"));
    let receiver = config.receiver.unwrap();
    let ids = |list: &[crate::ids::ApplicationId]| {
        list.iter()
            .map(|a| a.as_str().to_owned())
            .collect::<Vec<_>>()
    };
    // A production partner is a production sender; a connecting one only accepted.
    assert_eq!(ids(&receiver.allowed_senders), ["99999001", "99999006"]);
    assert_eq!(
        ids(&receiver.accepted_senders()),
        ["99999001", "99999006", "99999005"]
    );
    let five = crate::ids::ApplicationId::parse("99999005").unwrap();
    assert_eq!(
        receiver.connecting(&five).map(|p| p.phase),
        Some(Phase::Connect)
    );
    let six = crate::ids::ApplicationId::parse("99999006").unwrap();
    assert_eq!(receiver.connecting(&six), None);
    assert_eq!(receiver.partners[0].contact.len(), 1);

    let p = only_problem(&with(&table("99999005", "")), "receiver.sender[0].phase");
    assert!(p.message.contains("required"), "{p}");
    let p = only_problem(
        &with(&table("99999005", "phase = \"test\"")),
        "receiver.sender[0].phase",
    );
    assert!(p.message.contains("\"test\" is not a phase"), "{p}");
    let p = only_problem(
        &with(&table("99999001", "phase = \"connect\"")),
        "receiver.allowed_senders",
    );
    assert!(
        p.message.contains("99999001 is in its connect phase"),
        "{p}"
    );
    let twice = format!(
        "{}{}",
        table("99999005", "phase = \"connect\""),
        table("99999005", "phase = \"production\"")
    );
    let p = only_problem(&with(&twice), "receiver.sender[1].application_id");
    assert!(p.message.contains("named by another"), "{p}");
    let bad_contact = with(&table("99999005", "phase = \"connect\""))
        .replace("koppeling@example.org", "koppeling");
    assert_eq!(
        problems(&bad_contact)[0].key,
        "receiver.sender[0].contact[0]"
    );
    let p = only_problem(
        &with(&table(
            "99999005",
            "phase = \"connect\"\nreports = \"weekly\"",
        )),
        "receiver.sender[0].reports",
    );
    assert!(
        p.message.contains("\"weekly\" is not a choice of reports"),
        "{p}"
    );
    let p = only_problem(
        &with(&table("99999005", "phase = \"connect\"\nlanguage = \"de\"")),
        "receiver.sender[0].language",
    );
    assert!(p.message.contains("de"), "{p}");
    let daily = parse(&with(&table(
        "99999005",
        "phase = \"production\"\nreports = \"daily\"\nlanguage = \"en\"",
    )))
    .unwrap()
    .receiver
    .unwrap();
    assert_eq!(daily.partners[0].reports, Reports::Daily);
    assert_eq!(daily.partners[0].language, Language::En);
    assert_eq!(
        daily.report_at,
        chrono::NaiveTime::from_hms_opt(8, 0, 0).unwrap()
    );
    // With partners, allowed_senders may be left out.
    let only_partners = with(&table("99999005", "phase = \"production\""))
        .replace("allowed_senders = [\"99999001\"]\n", "");
    let receiver = parse(&only_partners)
        .unwrap_or_else(|e| panic!("{e}"))
        .receiver
        .unwrap();
    assert_eq!(ids(&receiver.allowed_senders), ["99999005"]);
}

#[test]
fn a_destination_chooses_its_reports_and_their_language() {
    let with = |lines: &str| {
        MINIMAL.replace(
            "contact = { name = \"J. Jansen\" }",
            &format!("contact = {{ name = \"J. Jansen\" }}\n{lines}"),
        )
    };
    let config = parse(&with("reports = \"daily\"\nlanguage = \"en\"")).unwrap();
    let sender = config.sender.unwrap();
    assert_eq!(sender.destinations[0].reports, Reports::Daily);
    assert_eq!(sender.destinations[0].language, Language::En);
    assert_eq!(
        sender.report_at,
        chrono::NaiveTime::from_hms_opt(8, 0, 0).unwrap()
    );
    let plain = parse(MINIMAL).unwrap().sender.unwrap();
    assert_eq!(plain.destinations[0].reports, Reports::Problems);
    // "none" would silence rejections and escalations: not a choice here.
    let p = only_problem(&with("reports = \"none\""), "sender.destination[0].reports");
    assert!(
        p.message.contains("\"none\" is not a choice of reports"),
        "{p}"
    );
    let p = only_problem(&with("language = \"fr\""), "sender.destination[0].language");
    assert!(p.message.contains("fr"), "{p}");
}
