//! No input makes validation panic: arbitrary bytes, byte-level mutations of a real
//! message and element-level edits of it (which keep it well-formed, so they reach the
//! decoder's checks). The answer to each is well-formed.

use super::assert_answers_are_well_formed;
use lotgate::sample;
use lotgate::validate::{self, MAX_ISSUES, Options, Verdict};
use lotgate::wire::{self, soap};
use lotgate::xml::{Document, Element, Limits};
use proptest::prelude::*;
use proptest::sample::{Index, select};

/// What every input must satisfy, whatever it is: validation returns, the report is
/// bounded, the answer parses as XML, and an accepted message re-encodes to itself.
fn survives(input: &[u8]) {
    for allow_bare in [false, true] {
        let options = Options {
            allow_bare,
            ..Default::default()
        };
        let outcome = validate::check(input, &options);
        assert!(outcome.report.issues().len() <= MAX_ISSUES);
        assert_answers_are_well_formed(&outcome);
        if let Some(message) = &outcome.message {
            assert_eq!(outcome.verdict(), Verdict::Accept);
            let again = validate::check(soap::message_envelope(message).as_bytes(), &options);
            assert_eq!(
                again.message.as_ref(),
                Some(message),
                "accepted, re-encoded, read back differently: {:#?}",
                again.report.issues()
            );
        }
    }
}

/// Fragments that tend to break XML parsers when dropped into a document.
const FRAGMENTS: &[&[u8]] = &[
    b"<a>",
    b"</a>",
    b"<a/>",
    b"</product>",
    b"<product typeCode=\"PRD\"/>",
    b"&#0;",
    b"&#x1F;",
    b"&#xD800;",
    b"&#1114112;",
    b"&#xFFFE;",
    b"&amp;",
    b"&lt;",
    b"&unknown;",
    b"&",
    b"<!DOCTYPE x>",
    b"<!DOCTYPE x [<!ENTITY e \"e\">]>",
    b"]]>",
    b"<![CDATA[x]]>",
    b"<![CDATA[",
    b"<!-- c -->",
    b"<!--",
    b"<?pi x?>",
    b"<?xml version=\"1.1\"?>",
    b"\"",
    b"'",
    b" a=\"1\"",
    b" xmlns=\"urn:x\"",
    b" xmlns:p=\"\"",
    b"<p:a/>",
    b"<soap:Fault/>",
    b"\xEF\xBF\xBE",
    b"\0",
    b"\xFF",
    b"\xC3",
    "é中😀".as_bytes(),
];

#[derive(Debug, Clone)]
enum Mutation {
    Flip(Index, u8),
    Truncate(Index),
    Delete(Index, usize),
    Duplicate(Index, usize),
    Insert(Index, &'static [u8]),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<Index>(), any::<u8>()).prop_map(|(at, b)| Mutation::Flip(at, b)),
        any::<Index>().prop_map(Mutation::Truncate),
        (any::<Index>(), 1usize..400).prop_map(|(at, n)| Mutation::Delete(at, n)),
        (any::<Index>(), 1usize..400).prop_map(|(at, n)| Mutation::Duplicate(at, n)),
        (any::<Index>(), select(FRAGMENTS)).prop_map(|(at, f)| Mutation::Insert(at, f)),
    ]
}

fn apply(bytes: &mut Vec<u8>, mutation: &Mutation) {
    if bytes.is_empty() {
        return;
    }
    let len = bytes.len();
    match mutation {
        Mutation::Flip(at, b) => bytes[at.index(len)] = *b,
        Mutation::Truncate(at) => bytes.truncate(at.index(len)),
        Mutation::Delete(at, n) => {
            let from = at.index(len);
            bytes.drain(from..(from + n).min(len));
        }
        Mutation::Duplicate(at, n) => {
            let from = at.index(len);
            let copy = bytes[from..(from + n).min(len)].to_vec();
            bytes.splice(from..from, copy);
        }
        Mutation::Insert(at, fragment) => {
            let at = at.index(len + 1);
            bytes.splice(at..at, fragment.iter().copied());
        }
    }
}

/// An element of the sample message, for edits that keep the document well-formed.
#[derive(Debug, Clone)]
struct Node {
    name: String,
    attrs: Vec<(String, String)>,
    text: Option<String>,
    children: Vec<Node>,
}

impl Node {
    fn from_element(e: Element<'_, '_>) -> Self {
        Self {
            name: e.name().to_owned(),
            attrs: e
                .attrs()
                .map(|(n, v)| (n.to_owned(), v.to_owned()))
                .collect(),
            text: e.text().map(str::to_owned),
            children: e.children().map(Node::from_element).collect(),
        }
    }

    fn write(&self, out: &mut String) {
        out.push('<');
        out.push_str(&self.name);
        for (name, value) in &self.attrs {
            out.push_str(&format!(" {name}=\"{}\"", escape(value)));
        }
        out.push('>');
        out.push_str(&escape(self.text.as_deref().unwrap_or("")));
        for child in &self.children {
            child.write(out);
        }
        out.push_str(&format!("</{}>", self.name));
    }

    fn count(&self) -> usize {
        1 + self.children.iter().map(Node::count).sum::<usize>()
    }

    /// The `n`th element in document order (0 is this one).
    fn nth(&mut self, mut n: usize) -> Option<&mut Node> {
        if n == 0 {
            return Some(self);
        }
        n -= 1;
        for child in &mut self.children {
            let size = child.count();
            if n < size {
                return child.nth(n);
            }
            n -= size;
        }
        None
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The sample message's HL7 element as a tree, and the names and values it uses (plus
/// some wrong ones), to build edits from.
struct Pools {
    tree: Node,
    names: Vec<String>,
    values: Vec<String>,
}

fn pools() -> Pools {
    let bare = wire::encode_message(&sample::message(3));
    let doc = Document::parse(bare.as_bytes(), &Limits::default()).expect("sample parses");
    let mut tree = Node::from_element(doc.root());
    tree.attrs
        .push(("xmlns".to_owned(), wire::HL7_NS.to_owned()));
    let mut names = vec!["x".to_owned(), "xmlns".to_owned(), "ITSVersion".to_owned()];
    let mut values: Vec<String> = [
        "",
        " ",
        "8",
        "31",
        "00",
        "x",
        "urn:x",
        "2026060",
        "20261301020000",
        "99991231",
        "20260601020000.5+0100",
        "2.016",
        "LG000001",
        "\u{FFFD}\u{301}",
    ]
    .map(str::to_owned)
    .to_vec();
    values.push("L".repeat(51));
    let mut stack = vec![&tree];
    while let Some(node) = stack.pop() {
        names.push(node.name.clone());
        for (name, value) in &node.attrs {
            names.push(name.clone());
            values.push(value.clone());
        }
        values.extend(node.text.clone());
        stack.extend(&node.children);
    }
    names.sort();
    names.dedup();
    values.sort();
    values.dedup();
    Pools {
        tree,
        names,
        values,
    }
}

/// One edit of the tree: the element it applies to (in document order) and what it does
/// there; the other indexes pick an attribute, a child, a name or a value.
#[derive(Debug, Clone)]
struct Edit(Index, EditKind);

#[derive(Debug, Clone)]
enum EditKind {
    SetAttr(Index, Index),
    AddAttr(Index, Index),
    RemoveAttr(Index),
    SetText(Index),
    Rename(Index),
    RemoveChild(Index),
    DuplicateChild(Index),
    SwapChildren(Index),
}

fn edit() -> impl Strategy<Value = Edit> {
    use EditKind::*;
    let i = any::<Index>;
    let kind = prop_oneof![
        (i(), i()).prop_map(|(a, v)| SetAttr(a, v)),
        (i(), i()).prop_map(|(n, v)| AddAttr(n, v)),
        i().prop_map(RemoveAttr),
        i().prop_map(SetText),
        i().prop_map(Rename),
        i().prop_map(RemoveChild),
        i().prop_map(DuplicateChild),
        i().prop_map(SwapChildren),
    ];
    (i(), kind).prop_map(|(at, kind)| Edit(at, kind))
}

fn apply_edit(pools: &Pools, tree: &mut Node, Edit(at, kind): &Edit) {
    use EditKind::*;
    let at = at.index(tree.count());
    let Some(node) = tree.nth(at) else { return };
    let value = |v: &Index| pools.values[v.index(pools.values.len())].clone();
    let name = |n: &Index| pools.names[n.index(pools.names.len())].clone();
    let (attrs, kids) = (node.attrs.len(), node.children.len());
    match kind {
        SetAttr(a, v) if attrs > 0 => node.attrs[a.index(attrs)].1 = value(v),
        AddAttr(n, v) => {
            let n = name(n);
            if !node.attrs.iter().any(|(existing, _)| *existing == n) {
                node.attrs.push((n, value(v)));
            }
        }
        RemoveAttr(a) if attrs > 0 => {
            node.attrs.remove(a.index(attrs));
        }
        SetText(v) if kids == 0 => node.text = Some(value(v)),
        Rename(n) => node.name = name(n),
        RemoveChild(c) if kids > 0 => {
            node.children.remove(c.index(kids));
        }
        DuplicateChild(c) if kids > 0 => {
            let c = c.index(kids);
            let copy = node.children[c].clone();
            node.children.insert(c, copy);
        }
        SwapChildren(c) if kids > 1 => {
            let c = c.index(kids - 1);
            node.children.swap(c, c + 1);
        }
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..4096)) {
        survives(&bytes);
    }

    #[test]
    fn mutated_messages_never_panic(mutations in prop::collection::vec(mutation(), 1..5)) {
        let mut bytes = soap::message_envelope(&sample::message(5)).into_bytes();
        for m in &mutations {
            apply(&mut bytes, m);
        }
        survives(&bytes);
    }

    #[test]
    fn edited_messages_never_panic(edits in prop::collection::vec(edit(), 1..8)) {
        let pools = pools();
        let mut tree = pools.tree.clone();
        for e in &edits {
            apply_edit(&pools, &mut tree, e);
        }
        let mut xml = String::new();
        tree.write(&mut xml);
        survives(soap::envelope(&xml).as_bytes());
    }
}
