//! The parser behind [`Document::parse`](super::Document::parse): quick-xml events to the
//! element arena, enforcing the limits and refusing hostile constructs.

use super::{Attr, Document, Limits, NONE, Node, NodeId, XmlError, XmlErrorKind};
use quick_xml::NsReader;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use std::borrow::Cow;

/// Refuses characters that XML 1.0 does not allow anywhere in a document: C0 controls
/// other than tab, line feed and carriage return, and U+FFFE/U+FFFF.
pub(super) fn check_chars(bytes: &[u8]) -> Result<(), XmlError> {
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

pub(super) struct Builder<'a, 'l> {
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
    pub(super) fn new(source: &'a str, limits: &'l Limits) -> Self {
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

    pub(super) fn run(mut self) -> Result<Document<'a>, XmlError> {
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
