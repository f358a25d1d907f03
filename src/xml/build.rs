//! The parser behind [`Document::parse`](super::Document::parse): quick-xml events to the
//! element arena, enforcing the limits and refusing hostile constructs.

use super::tag;
use super::{Attr, Document, Limits, NONE, Node, NodeId, Text, Words, XmlError, XmlErrorKind};
use crate::strings::same;
use quick_xml::Reader;
use quick_xml::events::Event;
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
                Words::new(
                    format!("stuurteken U+{:04X} is niet toegestaan in XML", bytes[at]),
                    format!(
                        "control character U+{:04X} is not allowed in XML",
                        bytes[at]
                    ),
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
                Words::new("niet-teken U+FFFE/U+FFFF", "non-character U+FFFE/U+FFFF"),
                at,
            ));
        }
    }
    Ok(())
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
        if let Some((_, count)) = self.few.iter_mut().find(|(n, _)| same(n, name)) {
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
                // Rough sizes for lotgate's messages (about 50 bytes per element and 35
                // per attribute), so that large documents do not spend their time
                // regrowing these.
                nodes: Vec::with_capacity(source.len() / 45),
                attrs: Vec::with_capacity(source.len() / 30),
                owned: Vec::new(),
                namespaces: vec![String::new()],
            },
            stack: Vec::new(),
            bindings: Vec::new(),
            binding_marks: Vec::new(),
            counters: vec![SiblingCounter::default()],
            root_closed: false,
        }
    }

    fn error(&self, kind: XmlErrorKind, detail: Words) -> XmlError {
        XmlError::new(kind, detail, self.reader.buffer_position() as usize)
    }

    /// An error of the XML parser (quick-xml), whose words are quoted after ours.
    fn parser_error(&self, error: impl std::fmt::Display) -> XmlError {
        self.error(
            XmlErrorKind::Malformed,
            Words::new(
                format!("geen goedgevormde XML: {error}"),
                format!("not well-formed XML: {error}"),
            ),
        )
    }

    pub(super) fn run(mut self) -> Result<Document<'a>, XmlError> {
        loop {
            let start = self.reader.buffer_position() as usize;
            let event = match self.reader.read_event() {
                Ok(event) => event,
                Err(e) => return Err(self.parser_error(e)),
            };
            match event {
                Event::Start(_) => self.open(start, false)?,
                Event::Empty(_) => self.open(start, true)?,
                Event::End(_) => self.close(),
                Event::Text(t) => {
                    let text = t.xml10_content();
                    self.text(text)?;
                }
                Event::CData(c) => {
                    self.text(c.xml10_content())?;
                }
                Event::GeneralRef(r) => {
                    let c = tag::resolve_reference(r.as_ref())
                        .map_err(|e| self.error(XmlErrorKind::Malformed, e))?;
                    self.text(Cow::Owned(c.to_string()))?;
                }
                Event::Decl(d) => self.declaration(&d)?,
                Event::DocType(_) => {
                    return Err(self.error(
                        XmlErrorKind::Doctype,
                        Words::new(
                            "DOCTYPE-declaraties worden niet geaccepteerd",
                            "DOCTYPE declarations are not accepted",
                        ),
                    ));
                }
                Event::PI(_) | Event::Comment(_) => {}
                Event::Eof => break,
            }
        }
        if !self.stack.is_empty() {
            return Err(self.error(
                XmlErrorKind::Malformed,
                Words::new(
                    "het document eindigt binnen een element",
                    "document ends inside an element",
                ),
            ));
        }
        if self.doc.nodes.is_empty() {
            return Err(self.error(
                XmlErrorKind::Malformed,
                Words::new("geen hoofdelement", "no root element"),
            ));
        }
        Ok(self.doc)
    }

    fn declaration(&self, d: &quick_xml::events::BytesDecl<'_>) -> Result<(), XmlError> {
        if !self.doc.nodes.is_empty() {
            return Err(self.error(
                XmlErrorKind::Malformed,
                Words::new(
                    "XML-declaratie na het hoofdelement",
                    "XML declaration after the root",
                ),
            ));
        }
        match d.version() {
            Ok(v) if v.as_ref() == "1.0" => {}
            _ => {
                return Err(self.error(
                    XmlErrorKind::Malformed,
                    Words::new(
                        "alleen XML-versie 1.0 wordt geaccepteerd",
                        "only XML version 1.0 is accepted",
                    ),
                ));
            }
        }
        if let Some(encoding) = d.encoding() {
            let encoding = encoding.map_err(|e| self.parser_error(e))?;
            if !encoding.eq_ignore_ascii_case("utf-8") {
                return Err(self.error(
                    XmlErrorKind::NotUtf8,
                    Words::new(
                        format!(
                            "codering {:?} is opgegeven, alleen UTF-8 wordt geaccepteerd",
                            encoding.as_ref()
                        ),
                        format!(
                            "encoding {:?} is declared, only UTF-8 is accepted",
                            encoding.as_ref()
                        ),
                    ),
                ));
            }
        }
        Ok(())
    }

    fn open(&mut self, start: usize, empty: bool) -> Result<(), XmlError> {
        if self.stack.is_empty() && (self.root_closed || !self.doc.nodes.is_empty()) {
            return Err(self.error(
                XmlErrorKind::Malformed,
                Words::new("meer dan één hoofdelement", "more than one root element"),
            ));
        }
        if self.stack.len() + 1 > self.limits.max_depth {
            return Err(self.error(
                XmlErrorKind::TooDeep,
                Words::new(
                    format!("elementen dieper genest dan {}", self.limits.max_depth),
                    format!("elements nested deeper than {}", self.limits.max_depth),
                ),
            ));
        }
        if self.doc.nodes.len() >= self.limits.max_elements {
            return Err(self.error(
                XmlErrorKind::TooLarge,
                Words::new(
                    format!("meer dan {} elementen", self.limits.max_elements),
                    format!("more than {} elements", self.limits.max_elements),
                ),
            ));
        }
        let end = self.reader.buffer_position() as usize;
        // The inside of the tag, from the source itself: names and values then borrow
        // the input for the document's whole lifetime.
        let inside = self
            .source
            .get(start + 1..end.saturating_sub(if empty { 2 } else { 1 }));
        let Some(inside) = inside.filter(|_| self.source.as_bytes().get(start) == Some(&b'<'))
        else {
            return Err(self.error(
                XmlErrorKind::Malformed,
                Words::new(
                    "begintag niet waar die verwacht werd",
                    "start tag not where expected",
                ),
            ));
        };
        let (qname, attributes) =
            tag::split(inside).map_err(|e| self.error(XmlErrorKind::Malformed, e))?;
        let attrs_start = self.doc.attrs.len() as u32;
        let binding_mark = self.bindings.len();
        let mut prefixed_attrs = false;
        for attr in attributes {
            let (key, value) = attr.map_err(|e| self.error(XmlErrorKind::Malformed, e))?;
            let declares = match (key.prefix(), key.local()) {
                ("xmlns", prefix) => Some(prefix),
                ("", "xmlns") => Some(""),
                _ => None,
            };
            let own = &self.doc.attrs[attrs_start as usize..];
            let twice = match declares {
                Some(prefix) => self.bindings[binding_mark..]
                    .iter()
                    .any(|(p, _)| *p == prefix),
                None => own.iter().any(|a| same(self.doc.str(a.name), key.full)),
            };
            if twice {
                return Err(self.error(
                    XmlErrorKind::Malformed,
                    Words::new(
                        format!("attribuut {} komt twee keer voor", key.full),
                        format!("attribute {} appears twice", key.full),
                    ),
                ));
            }
            if let Some(prefix) = declares {
                self.declare(prefix, &value)?;
                continue;
            }
            prefixed_attrs |= !key.prefix().is_empty();
            if own.len() >= self.limits.max_attributes {
                return Err(self.error(
                    XmlErrorKind::TooLarge,
                    Words::new(
                        format!(
                            "meer dan {} attributen op één element",
                            self.limits.max_attributes
                        ),
                        format!(
                            "more than {} attributes on one element",
                            self.limits.max_attributes
                        ),
                    ),
                ));
            }
            let name = self.text_of(key.full);
            let value = self.store(value);
            self.doc.attrs.push(Attr { name, value });
        }
        let (prefix, name) = (qname.prefix(), qname.local());
        if prefixed_attrs {
            self.check_attribute_prefixes(attrs_start as usize)?;
        }
        let ns = self.resolve(prefix)?;
        let id = self.doc.nodes.len() as NodeId;
        let parent = self.stack.last().copied().unwrap_or(NONE);
        let index = self.counters[self.stack.len()].next_index(name);
        let attrs_len = self.doc.attrs.len() - attrs_start as usize;
        self.doc.nodes.push(Node {
            ns: ns as u16, // at most 64 namespaces
            attrs_len: attrs_len as u16,
            name: self.text_of(name),
            parent,
            first_child: NONE,
            last_child: NONE,
            next_sibling: NONE,
            index,
            attrs_start,
            text: Text::NONE,
            span: (start as u32, end as u32),
        });
        if parent != NONE {
            let p = &mut self.doc.nodes[parent as usize];
            p.text = Text::NONE;
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
            self.doc.nodes[id as usize].span.1 = self.reader.buffer_position() as u32;
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
            return Err(self.error(
                XmlErrorKind::Malformed,
                Words::new(
                    "tekst buiten het hoofdelement",
                    "text outside the root element",
                ),
            ));
        };
        let node = &self.doc.nodes[id as usize];
        // Only the text of elements without children is kept (lotgate reads text from
        // leaves only); this keeps the indentation between elements out of memory.
        if node.first_child != NONE {
            return Ok(());
        }
        let previous = node.text;
        let text = if previous == Text::NONE {
            self.store(text)
        } else {
            let joined = self.doc.str(previous).to_owned() + &text;
            self.store(Cow::Owned(joined))
        };
        self.doc.nodes[id as usize].text = text;
        Ok(())
    }

    /// A string that borrows the source, as a [`Text`] range.
    fn text_of(&self, s: &str) -> Text {
        debug_assert!(self.borrows_source(s));
        let offset = s.as_ptr() as usize - self.source.as_ptr() as usize;
        Text::source(offset, s.len())
    }

    /// Keeps a string: a range when it borrows the source, else one of the document's own.
    fn store(&mut self, s: Cow<'a, str>) -> Text {
        match s {
            Cow::Borrowed(b) if self.borrows_source(b) => self.text_of(b),
            other => {
                self.doc.owned.push(other.into_owned());
                Text::owned(self.doc.owned.len() - 1)
            }
        }
    }

    fn borrows_source(&self, s: &str) -> bool {
        let base = self.source.as_ptr() as usize;
        let at = s.as_ptr() as usize;
        at >= base && at + s.len() <= base + self.source.len()
    }

    /// Records a namespace declaration of the element being opened (`prefix` is `""` for
    /// `xmlns="…"`).
    fn declare(&mut self, prefix: &'a str, value: &str) -> Result<(), XmlError> {
        let bad = match prefix {
            "xmlns" => true,
            "xml" => value != XML_NS,
            "" => false,
            _ => value.is_empty(),
        };
        if bad {
            return Err(self.error(
                XmlErrorKind::Malformed,
                Words::new(
                    format!(
                        "namespacedeclaratie voor prefix {prefix:?} = {value:?} is niet toegestaan"
                    ),
                    format!(
                        "namespace declaration for prefix {prefix:?} = {value:?} is not allowed"
                    ),
                ),
            ));
        }
        let position = self.reader.buffer_position() as usize;
        let id = intern(&mut self.doc.namespaces, value, position)?;
        self.bindings.push((prefix, id));
        Ok(())
    }

    /// The namespace of a prefix in scope (`""`: the default namespace, or none).
    fn resolve(&self, prefix: &str) -> Result<u32, XmlError> {
        if let Some((_, id)) = self.bindings.iter().rev().find(|(p, _)| same(p, prefix)) {
            return Ok(*id);
        }
        if prefix.is_empty() {
            return Ok(0);
        }
        Err(self.error(
            XmlErrorKind::Malformed,
            Words::new(
                format!("niet-gedeclareerde namespaceprefix {prefix:?}"),
                format!("undeclared namespace prefix {prefix:?}"),
            ),
        ))
    }

    /// Well-formedness for namespaces: every attribute prefix must be declared.
    fn check_attribute_prefixes(&self, first: usize) -> Result<(), XmlError> {
        for attr in &self.doc.attrs[first..] {
            if let Some((prefix, _)) = self.doc.str(attr.name).split_once(':')
                && prefix != "xml"
            {
                self.resolve(prefix)?;
            }
        }
        Ok(())
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
            Words::new("meer dan 64 namespaces", "more than 64 namespaces"),
            position,
        ));
    }
    namespaces.push(ns.to_owned());
    Ok(namespaces.len() as u32 - 1)
}
