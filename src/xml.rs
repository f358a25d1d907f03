//! A small, hostile-input-safe XML tree: parses bytes into an arena of elements with
//! namespaces resolved, within hard limits, or says why it cannot.
//!
//! Refused outright: input over the size limit, bytes that are not UTF-8 (or a declaration
//! naming another encoding), characters XML 1.0 forbids, any DOCTYPE (so no entity can be
//! declared: no billion laughs, no external entities), undefined entity references,
//! nesting deeper than the limit, too many elements or attributes. Memory use is
//! proportional to the input size and bounded by the limits.
//!
//! The tree keeps the byte span of every element, so the exact bytes of an element (the
//! HL7 interaction inside a SOAP body) can be taken from the input.

use quick_xml::NsReader;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use std::borrow::Cow;
use std::ops::Range;

/// Hard limits for one document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest input in bytes.
    pub max_bytes: usize,
    /// Deepest element nesting (the root is depth 1).
    pub max_depth: usize,
    /// Most elements in the document.
    pub max_elements: usize,
    /// Most attributes on one element.
    pub max_attributes: usize,
}

impl Default for Limits {
    /// 64 MiB, depth 64, 2,000,000 elements, 32 attributes per element: generous for a
    /// 100,000-lot message, far below anything that hurts.
    fn default() -> Self {
        Self {
            max_bytes: 64 * 1024 * 1024,
            max_depth: 64,
            max_elements: 2_000_000,
            max_attributes: 32,
        }
    }
}

/// What kind of problem made the input unusable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XmlErrorKind {
    /// Not UTF-8, or declared in another encoding.
    NotUtf8,
    /// Not well-formed XML 1.0.
    Malformed,
    /// A document type declaration.
    Doctype,
    /// Nesting deeper than the limit.
    TooDeep,
    /// Over the size, element or attribute limit.
    TooLarge,
}

/// Why the input could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{detail} (at byte {position})")]
pub struct XmlError {
    /// The kind of problem.
    pub kind: XmlErrorKind,
    /// A short English description.
    pub detail: String,
    /// Byte offset where the problem was found.
    pub position: usize,
}

impl XmlError {
    fn new(kind: XmlErrorKind, detail: impl Into<String>, position: usize) -> Self {
        Self {
            kind,
            detail: detail.into(),
            position,
        }
    }
}

/// Index of an element in a [`Document`].
pub type NodeId = u32;

const NONE: NodeId = u32::MAX;

/// One element of the tree.
#[derive(Debug)]
struct Node<'a> {
    ns: u32,
    name: &'a str,
    parent: NodeId,
    first_child: NodeId,
    last_child: NodeId,
    next_sibling: NodeId,
    /// 1-based position among preceding siblings of the same local name.
    index: u32,
    attrs: Range<u32>,
    text: Option<Cow<'a, str>>,
    span: Range<usize>,
}

/// One attribute: its name as written (with prefix, if any) and its normalized value.
#[derive(Debug)]
struct Attr<'a> {
    name: &'a str,
    value: Cow<'a, str>,
}

/// A parsed document: elements in document order, the first one is the root.
#[derive(Debug)]
pub struct Document<'a> {
    source: &'a str,
    nodes: Vec<Node<'a>>,
    attrs: Vec<Attr<'a>>,
    namespaces: Vec<String>,
}

/// A reference to one element of a document.
#[derive(Clone, Copy)]
pub struct Element<'d, 'a> {
    doc: &'d Document<'a>,
    id: NodeId,
}

impl<'a> Document<'a> {
    /// Parses `input` within `limits`.
    pub fn parse(input: &'a [u8], limits: &Limits) -> Result<Self, XmlError> {
        if input.len() > limits.max_bytes {
            return Err(XmlError::new(
                XmlErrorKind::TooLarge,
                format!(
                    "input is {} bytes, the limit is {}",
                    input.len(),
                    limits.max_bytes
                ),
                limits.max_bytes,
            ));
        }
        let input = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
        let source = std::str::from_utf8(input).map_err(|e| {
            XmlError::new(
                XmlErrorKind::NotUtf8,
                "input is not valid UTF-8",
                e.valid_up_to(),
            )
        })?;
        check_chars(source.as_bytes())?;
        Builder::new(source, limits).run()
    }

    /// The root element.
    pub fn root(&self) -> Element<'_, 'a> {
        Element { doc: self, id: 0 }
    }

    /// The number of elements.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether the document has no element (never true for a parsed document).
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }
}

impl<'d, 'a> Element<'d, 'a> {
    fn node(&self) -> &'d Node<'a> {
        &self.doc.nodes[self.id as usize]
    }

    /// The local name (without prefix).
    pub fn name(&self) -> &'d str {
        self.node().name
    }

    /// The namespace URI, or `""` when the element is in no namespace.
    pub fn namespace(&self) -> &'d str {
        &self.doc.namespaces[self.node().ns as usize]
    }

    /// Whether the element has this namespace and local name.
    pub fn is(&self, namespace: &str, name: &str) -> bool {
        self.name() == name && self.namespace() == namespace
    }

    /// The value of the unprefixed attribute `name`.
    pub fn attr(&self, name: &str) -> Option<&'d str> {
        let range = &self.node().attrs;
        self.doc.attrs[range.start as usize..range.end as usize]
            .iter()
            .find(|a| a.name == name)
            .map(|a| a.value.as_ref())
    }

    /// All attributes as (name as written, value).
    pub fn attrs(&self) -> impl Iterator<Item = (&'d str, &'d str)> + 'd {
        let range = self.node().attrs.clone();
        self.doc.attrs[range.start as usize..range.end as usize]
            .iter()
            .map(|a| (a.name, a.value.as_ref()))
    }

    /// The text directly inside the element (entity references resolved), if any.
    pub fn text(&self) -> Option<&'d str> {
        self.node().text.as_deref()
    }

    /// The child elements in document order.
    pub fn children(&self) -> Children<'d, 'a> {
        Children {
            doc: self.doc,
            next: self.node().first_child,
        }
    }

    /// The first child element with this local name (any namespace).
    pub fn child(&self, name: &str) -> Option<Element<'d, 'a>> {
        self.children().find(|c| c.name() == name)
    }

    /// The parent element, `None` for the root.
    pub fn parent(&self) -> Option<Element<'d, 'a>> {
        let parent = self.node().parent;
        (parent != NONE).then_some(Element {
            doc: self.doc,
            id: parent,
        })
    }

    /// The exact source text of the element, from `<` of its start tag to `>` of its end.
    pub fn source(&self) -> &'a str {
        &self.doc.source[self.node().span.clone()]
    }

    /// The element's position among its siblings of the same name (1-based), and whether
    /// it has such siblings at all; used to write XPath locations.
    ///
    /// Constant time for every element but the first of its name, which looks ahead a
    /// bounded number of siblings, so locations stay cheap in documents with many lots.
    pub fn position(&self) -> (usize, bool) {
        let index = self.node().index as usize;
        if index > 1 {
            return (index, true);
        }
        let later_namesake = Children {
            doc: self.doc,
            next: self.node().next_sibling,
        }
        .take(1000)
        .any(|s| s.name() == self.name());
        (index, later_namesake)
    }

    /// An XPath to this element using local names, e.g. `/PRMM_IN010043NL/sender/device/id`,
    /// with a position where an element has same-named siblings (`product[3]`).
    pub fn xpath(&self) -> String {
        let mut parts = Vec::new();
        let mut current = Some(*self);
        while let Some(element) = current {
            let (index, numbered) = element.position();
            parts.push(if numbered {
                format!("{}[{index}]", element.name())
            } else {
                element.name().to_owned()
            });
            current = element.parent();
        }
        parts.reverse();
        format!("/{}", parts.join("/"))
    }
}

impl std::fmt::Debug for Element<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Element({})", self.xpath())
    }
}

/// Iterator over the child elements of an element.
pub struct Children<'d, 'a> {
    doc: &'d Document<'a>,
    next: NodeId,
}

impl<'d, 'a> Iterator for Children<'d, 'a> {
    type Item = Element<'d, 'a>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.next == NONE {
            return None;
        }
        let id = self.next;
        self.next = self.doc.nodes[id as usize].next_sibling;
        Some(Element { doc: self.doc, id })
    }
}

/// Refuses characters that XML 1.0 does not allow anywhere in a document: C0 controls
/// other than tab, line feed and carriage return, and U+FFFE/U+FFFF.
fn check_chars(bytes: &[u8]) -> Result<(), XmlError> {
    let bad_control = |b: u8| b < 0x20 && b != b'\t' && b != b'\n' && b != b'\r';
    if let Some(at) = bytes.iter().position(|&b| bad_control(b)) {
        return Err(XmlError::new(
            XmlErrorKind::Malformed,
            format!(
                "control character U+{:04X} is not allowed in XML",
                bytes[at]
            ),
            at,
        ));
    }
    if let Some(at) = bytes
        .windows(3)
        .position(|w| w[0] == 0xEF && w[1] == 0xBF && (w[2] == 0xBE || w[2] == 0xBF))
    {
        return Err(XmlError::new(
            XmlErrorKind::Malformed,
            "non-character U+FFFE/U+FFFF",
            at,
        ));
    }
    Ok(())
}

/// Whether a character resolved from a reference is allowed by XML 1.0.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

struct Builder<'a, 'l> {
    source: &'a str,
    limits: &'l Limits,
    reader: NsReader<&'a [u8]>,
    doc: Document<'a>,
    stack: Vec<NodeId>,
    /// Per open element (and one for the top level): how many children of each name it
    /// has so far. Reused across elements to avoid allocating per element.
    counters: Vec<SiblingCounter<'a>>,
    root_closed: bool,
}

/// Counts children by name: a short list for the usual few names, a map when an element
/// has many distinct child names (so hostile input cannot make this quadratic).
#[derive(Default)]
struct SiblingCounter<'a> {
    few: Vec<(&'a str, u32)>,
    many: std::collections::HashMap<&'a str, u32>,
}

impl<'a> SiblingCounter<'a> {
    fn clear(&mut self) {
        self.few.clear();
        self.many.clear();
    }

    fn next_index(&mut self, name: &'a str) -> u32 {
        if let Some((_, count)) = self.few.iter_mut().find(|(n, _)| *n == name) {
            *count += 1;
            return *count;
        }
        if self.few.len() < 16 {
            self.few.push((name, 1));
            return 1;
        }
        let count = self.many.entry(name).or_insert(0);
        *count += 1;
        *count
    }
}

impl<'a, 'l> Builder<'a, 'l> {
    fn new(source: &'a str, limits: &'l Limits) -> Self {
        let mut reader = NsReader::from_str(source);
        let config = reader.config_mut();
        config.check_end_names = true;
        config.check_comments = true;
        config.expand_empty_elements = false;
        Self {
            source,
            limits,
            reader,
            doc: Document {
                source,
                nodes: Vec::new(),
                attrs: Vec::new(),
                namespaces: vec![String::new()],
            },
            stack: Vec::new(),
            counters: vec![SiblingCounter::default()],
            root_closed: false,
        }
    }

    fn error(&self, kind: XmlErrorKind, detail: impl Into<String>) -> XmlError {
        XmlError::new(kind, detail, self.reader.buffer_position() as usize)
    }

    fn run(mut self) -> Result<Document<'a>, XmlError> {
        loop {
            let start = self.reader.buffer_position() as usize;
            let (ns, event) = match self.reader.read_resolved_event() {
                Ok((ns, event)) => {
                    let ns = match &event {
                        Event::Start(_) | Event::Empty(_) => {
                            intern(&mut self.doc.namespaces, namespace_of(ns), start)?
                        }
                        _ => None,
                    };
                    (ns, event)
                }
                Err(e) => return Err(self.error(XmlErrorKind::Malformed, e.to_string())),
            };
            match event {
                Event::Start(e) => self.open(ns, &e, start, false)?,
                Event::Empty(e) => self.open(ns, &e, start, true)?,
                Event::End(_) => self.close(),
                Event::Text(t) => {
                    let text = t.xml10_content();
                    self.text(text)?;
                }
                Event::CData(c) => {
                    self.text(c.xml10_content())?;
                }
                Event::GeneralRef(r) => {
                    let resolved = match r.resolve_char_ref() {
                        Ok(Some(c)) if is_xml_char(c) => c.to_string(),
                        Ok(Some(c)) => {
                            return Err(self.error(
                                XmlErrorKind::Malformed,
                                format!("character reference to U+{:04X} is not allowed", c as u32),
                            ));
                        }
                        Ok(None) => match quick_xml::escape::resolve_xml_entity(&r) {
                            Some(s) => s.to_owned(),
                            None => {
                                return Err(self.error(
                                    XmlErrorKind::Malformed,
                                    format!("undefined entity &{};", r.as_ref() as &str),
                                ));
                            }
                        },
                        Err(e) => return Err(self.error(XmlErrorKind::Malformed, e.to_string())),
                    };
                    self.text(Cow::Owned(resolved))?;
                }
                Event::Decl(d) => self.declaration(&d)?,
                Event::DocType(_) => {
                    return Err(self.error(
                        XmlErrorKind::Doctype,
                        "DOCTYPE declarations are not accepted",
                    ));
                }
                Event::PI(_) | Event::Comment(_) => {}
                Event::Eof => break,
            }
        }
        if !self.stack.is_empty() {
            return Err(self.error(XmlErrorKind::Malformed, "document ends inside an element"));
        }
        if self.doc.nodes.is_empty() {
            return Err(self.error(XmlErrorKind::Malformed, "no root element"));
        }
        Ok(self.doc)
    }

    fn declaration(&self, d: &quick_xml::events::BytesDecl<'_>) -> Result<(), XmlError> {
        if !self.doc.nodes.is_empty() {
            return Err(self.error(XmlErrorKind::Malformed, "XML declaration after the root"));
        }
        match d.version() {
            Ok(v) if v.as_ref() == "1.0" => {}
            _ => {
                return Err(self.error(XmlErrorKind::Malformed, "only XML version 1.0 is accepted"));
            }
        }
        if let Some(encoding) = d.encoding() {
            let encoding =
                encoding.map_err(|e| self.error(XmlErrorKind::Malformed, e.to_string()))?;
            if !encoding.eq_ignore_ascii_case("utf-8") {
                return Err(self.error(
                    XmlErrorKind::NotUtf8,
                    format!(
                        "encoding {:?} is declared, only UTF-8 is accepted",
                        encoding.as_ref()
                    ),
                ));
            }
        }
        Ok(())
    }

    fn open(
        &mut self,
        ns: Option<u32>,
        e: &BytesStart<'a>,
        start: usize,
        empty: bool,
    ) -> Result<(), XmlError> {
        let Some(ns) = ns else {
            return Err(self.error(XmlErrorKind::Malformed, "undeclared namespace prefix"));
        };
        if self.stack.is_empty() && (self.root_closed || !self.doc.nodes.is_empty()) {
            return Err(self.error(XmlErrorKind::Malformed, "more than one root element"));
        }
        if self.stack.len() + 1 > self.limits.max_depth {
            return Err(self.error(
                XmlErrorKind::TooDeep,
                format!("elements nested deeper than {}", self.limits.max_depth),
            ));
        }
        if self.doc.nodes.len() >= self.limits.max_elements {
            return Err(self.error(
                XmlErrorKind::TooLarge,
                format!("more than {} elements", self.limits.max_elements),
            ));
        }
        let name = self.local_name(e)?;
        let attrs_start = self.doc.attrs.len() as u32;
        for attr in e.attributes() {
            let attr = attr.map_err(|e| self.error(XmlErrorKind::Malformed, e.to_string()))?;
            let key: &str = attr.key.as_ref();
            if key == "xmlns" || key.starts_with("xmlns:") {
                continue;
            }
            if self.doc.attrs.len() - attrs_start as usize >= self.limits.max_attributes {
                return Err(self.error(
                    XmlErrorKind::TooLarge,
                    format!(
                        "more than {} attributes on one element",
                        self.limits.max_attributes
                    ),
                ));
            }
            let value = attr
                .normalized_value(quick_xml::XmlVersion::Explicit1_0)
                .map_err(|e| {
                    self.error(XmlErrorKind::Malformed, format!("attribute {key}: {e}"))
                })?;
            if let Some(c) = value.chars().find(|c| !is_xml_char(*c)) {
                return Err(self.error(
                    XmlErrorKind::Malformed,
                    format!(
                        "attribute {key}: character U+{:04X} is not allowed",
                        c as u32
                    ),
                ));
            }
            let name = self.rebase(Cow::Borrowed(key));
            let value = self.rebase(value);
            let Cow::Borrowed(name) = name else {
                return Err(self.error(XmlErrorKind::Malformed, "attribute name outside the input"));
            };
            self.doc.attrs.push(Attr { name, value });
        }
        let id = self.doc.nodes.len() as NodeId;
        let parent = self.stack.last().copied().unwrap_or(NONE);
        let end = self.reader.buffer_position() as usize;
        let index = self.counters[self.stack.len()].next_index(name);
        self.doc.nodes.push(Node {
            ns,
            name,
            parent,
            first_child: NONE,
            last_child: NONE,
            next_sibling: NONE,
            index,
            attrs: attrs_start..self.doc.attrs.len() as u32,
            text: None,
            span: start..end,
        });
        if parent != NONE {
            let p = &mut self.doc.nodes[parent as usize];
            let previous = p.last_child;
            p.last_child = id;
            if previous == NONE {
                p.first_child = id;
            } else {
                self.doc.nodes[previous as usize].next_sibling = id;
            }
        }
        if empty {
            if parent == NONE {
                self.root_closed = true;
            }
        } else {
            self.stack.push(id);
            if self.counters.len() <= self.stack.len() {
                self.counters.push(SiblingCounter::default());
            }
            self.counters[self.stack.len()].clear();
        }
        Ok(())
    }

    fn close(&mut self) {
        if let Some(id) = self.stack.pop() {
            self.doc.nodes[id as usize].span.end = self.reader.buffer_position() as usize;
            if self.stack.is_empty() {
                self.root_closed = true;
            }
        }
    }

    fn text(&mut self, text: Cow<'a, str>) -> Result<(), XmlError> {
        let Some(&id) = self.stack.last() else {
            if text.trim().is_empty() {
                return Ok(());
            }
            return Err(self.error(XmlErrorKind::Malformed, "text outside the root element"));
        };
        let node = &mut self.doc.nodes[id as usize];
        node.text = Some(match node.text.take() {
            None => text,
            Some(previous) => Cow::Owned(previous.into_owned() + &text),
        });
        Ok(())
    }

    /// The local name of an element, borrowed from the source.
    fn local_name(&self, e: &BytesStart<'a>) -> Result<&'a str, XmlError> {
        let local = e.local_name();
        match self.rebase(Cow::Borrowed(local.as_ref())) {
            Cow::Borrowed(name) => Ok(name),
            Cow::Owned(_) => {
                Err(self.error(XmlErrorKind::Malformed, "element name outside the input"))
            }
        }
    }

    /// Turns text that quick-xml borrowed from the input into a borrow of the source with
    /// the document's lifetime; text it had to build stays owned.
    fn rebase(&self, text: Cow<'_, str>) -> Cow<'a, str> {
        match text {
            Cow::Borrowed(s) => {
                let base = self.source.as_ptr() as usize;
                let at = s.as_ptr() as usize;
                if at >= base && at + s.len() <= base + self.source.len() {
                    Cow::Borrowed(&self.source[at - base..at - base + s.len()])
                } else {
                    Cow::Owned(s.to_owned())
                }
            }
            Cow::Owned(s) => Cow::Owned(s),
        }
    }
}

/// Finds or adds a namespace URI in the document's table; `None` for an undeclared prefix.
fn intern(
    namespaces: &mut Vec<String>,
    ns: Option<&str>,
    position: usize,
) -> Result<Option<u32>, XmlError> {
    let Some(ns) = ns else {
        return Ok(None);
    };
    if let Some(i) = namespaces.iter().position(|n| n == ns) {
        return Ok(Some(i as u32));
    }
    if namespaces.len() >= 64 {
        return Err(XmlError::new(
            XmlErrorKind::TooLarge,
            "more than 64 namespaces",
            position,
        ));
    }
    namespaces.push(ns.to_owned());
    Ok(Some(namespaces.len() as u32 - 1))
}

/// The namespace of a resolved name: `Some("")` for none, `None` for an unknown prefix.
fn namespace_of(ns: ResolveResult<'_>) -> Option<&str> {
    match ns {
        ResolveResult::Bound(ns) => Some(ns.into_inner()),
        ResolveResult::Unbound => Some(""),
        ResolveResult::Unknown(_) => None,
    }
}
