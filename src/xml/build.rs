//! The parser behind [`Document::parse`](super::Document::parse): quick-xml events to the
//! element arena, enforcing the limits and refusing hostile constructs.

use super::{Attr, Document, Limits, NONE, Node, NodeId, XmlError, XmlErrorKind};
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use std::borrow::Cow;

/// The namespace bound to the `xml` prefix by definition.
const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

/// Refuses characters that XML 1.0 does not allow anywhere in a document: C0 controls
/// other than tab, line feed and carriage return, and U+FFFE/U+FFFF.
pub(super) fn check_chars(bytes: &[u8]) -> Result<(), XmlError> {
    let bad_control = |b: u8| b < 0x20 && b != b'\t' && b != b'\n' && b != b'\r';
    // Scan in blocks without early exit so the compiler can vectorise; look for the
    // exact position only in a block that has a bad byte.
    for (block, chunk) in bytes.chunks(4096).enumerate() {
        if chunk.iter().fold(false, |bad, &b| bad | bad_control(b)) {
            let at = block * 4096 + chunk.iter().position(|&b| bad_control(b)).unwrap_or(0);
            return Err(XmlError::new(
                XmlErrorKind::Malformed,
                format!(
                    "control character U+{:04X} is not allowed in XML",
                    bytes[at]
                ),
                at,
            ));
        }
    }
    // U+FFFE and U+FFFF are EF BF BE / EF BF BF in UTF-8.
    for at in memchr::memchr_iter(0xEF, bytes) {
        if bytes.get(at + 1) == Some(&0xBF) && matches!(bytes.get(at + 2), Some(0xBE | 0xBF)) {
            return Err(XmlError::new(
                XmlErrorKind::Malformed,
                "non-character U+FFFE/U+FFFF",
                at,
            ));
        }
    }
    Ok(())
}

/// Whether a character resolved from a reference is allowed by XML 1.0.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

pub(super) struct Builder<'a, 'l> {
    source: &'a str,
    limits: &'l Limits,
    reader: Reader<&'a [u8]>,
    doc: Document<'a>,
    stack: Vec<NodeId>,
    /// Namespace bindings in scope, innermost last: (prefix, `""` for the default, id).
    /// Resolved here rather than by quick-xml's resolver so that each start tag's
    /// attributes are read once.
    bindings: Vec<(&'a str, u32)>,
    /// For each open element, the length of `bindings` before its own declarations.
    binding_marks: Vec<usize>,
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
    pub(super) fn new(source: &'a str, limits: &'l Limits) -> Self {
        let mut reader = Reader::from_str(source);
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
                // Rough sizes for lotgate's messages (about 50 bytes per element), so
                // that large documents do not spend their time regrowing these.
                nodes: Vec::with_capacity(source.len() / 50),
                attrs: Vec::with_capacity(source.len() / 40),
                namespaces: vec![String::new()],
            },
            stack: Vec::new(),
            bindings: Vec::new(),
            binding_marks: Vec::new(),
            counters: vec![SiblingCounter::default()],
            root_closed: false,
        }
    }

    fn error(&self, kind: XmlErrorKind, detail: impl Into<String>) -> XmlError {
        XmlError::new(kind, detail, self.reader.buffer_position() as usize)
    }

    pub(super) fn run(mut self) -> Result<Document<'a>, XmlError> {
        loop {
            let start = self.reader.buffer_position() as usize;
            let event = match self.reader.read_event() {
                Ok(event) => event,
                Err(e) => return Err(self.error(XmlErrorKind::Malformed, e.to_string())),
            };
            match event {
                Event::Start(e) => self.open(&e, start, false)?,
                Event::Empty(e) => self.open(&e, start, true)?,
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

    fn open(&mut self, e: &BytesStart<'a>, start: usize, empty: bool) -> Result<(), XmlError> {
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
        let (prefix, name) = self.split_name(e)?;
        let attrs_start = self.doc.attrs.len() as u32;
        let binding_mark = self.bindings.len();
        let mut prefixed_attrs = false;
        for attr in e.attributes() {
            let attr = attr.map_err(|e| self.error(XmlErrorKind::Malformed, e.to_string()))?;
            let key: &str = attr.key.as_ref();
            if key == "xmlns" || key.starts_with("xmlns:") {
                let value = attr
                    .normalized_value(quick_xml::XmlVersion::Explicit1_0)
                    .map_err(|e| self.error(XmlErrorKind::Malformed, format!("{key}: {e}")))?;
                let Cow::Borrowed(key) = self.rebase(Cow::Borrowed(key)) else {
                    return Err(
                        self.error(XmlErrorKind::Malformed, "attribute name outside the input")
                    );
                };
                self.declare(key, &value)?;
                continue;
            }
            prefixed_attrs |= key.contains(':');
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
            // Raw characters were checked for the whole input already; only a value that
            // references resolved (so was rebuilt) can hold a forbidden one.
            if let Cow::Owned(v) = &value
                && let Some(c) = v.chars().find(|c| !is_xml_char(*c))
            {
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
        if prefixed_attrs {
            self.check_attribute_prefixes(attrs_start as usize)?;
        }
        let ns = self.resolve(prefix)?;
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
            p.text = None;
            let previous = p.last_child;
            p.last_child = id;
            if previous == NONE {
                p.first_child = id;
            } else {
                self.doc.nodes[previous as usize].next_sibling = id;
            }
        }
        if empty {
            self.bindings.truncate(binding_mark);
            if parent == NONE {
                self.root_closed = true;
            }
        } else {
            self.stack.push(id);
            self.binding_marks.push(binding_mark);
            if self.counters.len() <= self.stack.len() {
                self.counters.push(SiblingCounter::default());
            }
            self.counters[self.stack.len()].clear();
        }
        Ok(())
    }

    fn close(&mut self) {
        if let Some(id) = self.stack.pop() {
            if let Some(mark) = self.binding_marks.pop() {
                self.bindings.truncate(mark);
            }
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
        // Only the text of elements without children is kept (lotgate reads text from
        // leaves only); this keeps the indentation between elements out of memory.
        if node.first_child != NONE {
            return Ok(());
        }
        node.text = Some(match node.text.take() {
            None => text,
            Some(previous) => Cow::Owned(previous.into_owned() + &text),
        });
        Ok(())
    }

    /// The prefix (`""` for none) and local name of an element, borrowed from the source.
    fn split_name(&self, e: &BytesStart<'a>) -> Result<(&'a str, &'a str), XmlError> {
        let name = e.name();
        let qname: &str = name.as_ref();
        let Cow::Borrowed(qname) = self.rebase(Cow::Borrowed(qname)) else {
            return Err(self.error(XmlErrorKind::Malformed, "element name outside the input"));
        };
        Ok(match qname.split_once(':') {
            Some((prefix, local)) => (prefix, local),
            None => ("", qname),
        })
    }

    /// Records a namespace declaration (`xmlns` or `xmlns:p`) of the element being opened.
    fn declare(&mut self, key: &'a str, value: &str) -> Result<(), XmlError> {
        let prefix = key.strip_prefix("xmlns:").unwrap_or("");
        let bad = match prefix {
            "xmlns" => true,
            "xml" => value != XML_NS,
            "" => false,
            _ => value.is_empty(),
        };
        if bad {
            return Err(self.error(
                XmlErrorKind::Malformed,
                format!("namespace declaration {key}=\"{value}\" is not allowed"),
            ));
        }
        let position = self.reader.buffer_position() as usize;
        let id = intern(&mut self.doc.namespaces, value, position)?;
        self.bindings.push((prefix, id));
        Ok(())
    }

    /// The namespace of a prefix in scope (`""`: the default namespace, or none).
    fn resolve(&self, prefix: &str) -> Result<u32, XmlError> {
        if let Some((_, id)) = self.bindings.iter().rev().find(|(p, _)| *p == prefix) {
            return Ok(*id);
        }
        if prefix.is_empty() {
            return Ok(0);
        }
        Err(self.error(
            XmlErrorKind::Malformed,
            format!("undeclared namespace prefix {prefix:?}"),
        ))
    }

    /// Well-formedness for namespaces: every attribute prefix must be declared.
    fn check_attribute_prefixes(&self, first: usize) -> Result<(), XmlError> {
        for attr in &self.doc.attrs[first..] {
            if let Some((prefix, _)) = attr.name.split_once(':')
                && prefix != "xml"
            {
                self.resolve(prefix)?;
            }
        }
        Ok(())
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

/// Finds or adds a namespace URI in the document's table (id 0 is "no namespace").
fn intern(namespaces: &mut Vec<String>, ns: &str, position: usize) -> Result<u32, XmlError> {
    if let Some(i) = namespaces.iter().position(|n| n == ns) {
        return Ok(i as u32);
    }
    if namespaces.len() >= 64 {
        return Err(XmlError::new(
            XmlErrorKind::TooLarge,
            "more than 64 namespaces",
            position,
        ));
    }
    namespaces.push(ns.to_owned());
    Ok(namespaces.len() as u32 - 1)
}
