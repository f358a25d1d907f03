use super::*;

fn parse(input: &str) -> Result<Document<'_>, XmlError> {
    Document::parse(input.as_bytes(), &Limits::default())
}

fn kind(input: &[u8]) -> XmlErrorKind {
    Document::parse(input, &Limits::default())
        .expect_err("must be refused")
        .kind
}

#[test]
fn reads_names_namespaces_attributes_and_text() {
    let doc = parse(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<s:E xmlns:s=\"urn:s\" xmlns=\"urn:d\"><a x=\"1 &amp; 2\" y='&#x41;'>t&lt;u<![CDATA[<v>]]></a><a/><b/></s:E>",
    )
    .unwrap();
    let root = doc.root();
    assert!(root.is("urn:s", "E"));
    let kids: Vec<_> = root.children().collect();
    assert_eq!(kids.len(), 3);
    assert_eq!(kids[0].namespace(), "urn:d");
    assert_eq!(kids[0].attr("x"), Some("1 & 2"));
    assert_eq!(kids[0].attr("y"), Some("A"));
    assert_eq!(kids[0].text(), Some("t<u<v>"));
    assert_eq!(kids[0].xpath(), "/E/a[1]");
    assert_eq!(kids[1].xpath(), "/E/a[2]");
    assert_eq!(kids[2].xpath(), "/E/b");
    assert_eq!(kids[1].source(), "<a/>");
    assert!(root.source().starts_with("<s:E") && root.source().ends_with("</s:E>"));
}

#[test]
fn attribute_values_are_normalized_but_char_refs_kept() {
    let doc = parse("<a v=\"x\ty\" w=\"x&#9;y\"/>").unwrap();
    assert_eq!(doc.root().attr("v"), Some("x y"));
    assert_eq!(doc.root().attr("w"), Some("x\ty"));
}

#[test]
fn refuses_doctypes_and_entities() {
    let laughs = "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;\">]><lolz>&lol2;</lolz>";
    assert_eq!(kind(laughs.as_bytes()), XmlErrorKind::Doctype);
    let external = "<!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><r>&x;</r>";
    assert_eq!(kind(external.as_bytes()), XmlErrorKind::Doctype);
    assert_eq!(kind(b"<r>&undefined;</r>"), XmlErrorKind::Malformed);
    assert_eq!(kind(b"<r a=\"&undefined;\"/>"), XmlErrorKind::Malformed);
}

#[test]
fn refuses_illegal_characters() {
    assert_eq!(kind(b"<r>\x07</r>"), XmlErrorKind::Malformed);
    assert_eq!(kind(b"<r>&#7;</r>"), XmlErrorKind::Malformed);
    assert_eq!(kind(b"<r a=\"&#0;\"/>"), XmlErrorKind::Malformed);
    assert_eq!(kind("<r>\u{FFFE}</r>".as_bytes()), XmlErrorKind::Malformed);
    assert_eq!(kind(b"<r>\xC3\x28</r>"), XmlErrorKind::NotUtf8);
    assert_eq!(
        kind(b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><r/>"),
        XmlErrorKind::NotUtf8
    );
    assert_eq!(kind(b"\xFF\xFE<\0r\0/\0>\0"), XmlErrorKind::NotUtf8);
}

#[test]
fn refuses_what_is_not_one_well_formed_element() {
    for bad in [
        "",
        "   ",
        "text",
        "<a>",
        "<a></b>",
        "<a/><b/>",
        "<a/>tail",
        "<p:a/>",
        "<a><b></a></b>",
        "<a x=\"1\" x=\"2\"/>",
        "<?xml version=\"1.1\"?><a/>",
        "<a/><?xml version=\"1.0\"?>",
    ] {
        assert_eq!(kind(bad.as_bytes()), XmlErrorKind::Malformed, "{bad:?}");
    }
    assert!(
        parse("\u{FEFF}<a/>").is_ok(),
        "a UTF-8 byte order mark is fine"
    );
    assert!(parse("<!-- c --><?pi x?><a/><!-- after -->\n").is_ok());
}

#[test]
fn enforces_limits() {
    let deep = "<a>".repeat(100_000) + &"</a>".repeat(100_000);
    assert_eq!(kind(deep.as_bytes()), XmlErrorKind::TooDeep);
    let limits = Limits {
        max_bytes: 100,
        max_depth: 3,
        max_elements: 4,
        max_attributes: 2,
    };
    let refuse = |s: &str| Document::parse(s.as_bytes(), &limits).unwrap_err().kind;
    assert_eq!(
        refuse(&format!("<a>{}</a>", " ".repeat(100))),
        XmlErrorKind::TooLarge
    );
    assert_eq!(refuse("<a><b><c><d/></c></b></a>"), XmlErrorKind::TooDeep);
    assert_eq!(refuse("<a><b/><b/><b/><b/></a>"), XmlErrorKind::TooLarge);
    assert_eq!(
        refuse("<a x=\"1\" y=\"2\" z=\"3\"/>"),
        XmlErrorKind::TooLarge
    );
    assert!(Document::parse(b"<a x=\"1\" y=\"2\"><b><c/></b><b/></a>", &limits).is_ok());
}

#[test]
fn locations_stay_cheap_with_many_distinct_siblings() {
    let many: String = (0..50_000).map(|i| format!("<e{i}/>")).collect();
    let input = format!("<r>{many}<e7/></r>");
    let doc = parse(&input).unwrap();
    let last = doc.root().children().last().unwrap();
    assert_eq!(last.xpath(), "/r/e7[2]");
    assert_eq!(doc.len(), 50_002);
}
