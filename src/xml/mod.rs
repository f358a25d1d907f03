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

mod build;
mod tag;
#[cfg(test)]
mod tests;

// `Text` in this module is a range of the document; a text for people is `Words`.
use crate::language::{Language, Text as Words};
use crate::strings::same;

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
    /// A short description, in Dutch and English (words of the XML parser are quoted as
    /// they are).
    pub detail: Words,
    /// Byte offset where the problem was found.
    pub position: usize,
}

impl XmlError {
    pub(crate) fn new(kind: XmlErrorKind, detail: Words, position: usize) -> Self {
        Self {
            kind,
            detail,
            position,
        }
    }

    /// The description with its position, in `language`.
    pub fn text(&self, language: Language) -> String {
        let at = language.pick("bij byte", "at byte");
        format!("{} ({at} {})", self.detail.get(language), self.position)
    }
}

/// Index of an element in a [`Document`].
pub type NodeId = u32;

pub(crate) const NONE: NodeId = u32::MAX;

/// A string of the document: a range of the source, or (for values that had references
/// to resolve) one of the document's own strings. Eight bytes instead of a `Cow`'s 24,
/// which matters with a million elements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Text {
    start: u32,
    len: u32,
}

impl Text {
    /// No text.
    pub(crate) const NONE: Text = Text {
        start: u32::MAX,
        len: 0,
    };
    const OWNED: u32 = 1 << 31;

    /// A range of the source.
    pub(crate) fn source(start: usize, len: usize) -> Text {
        Text {
            start: start as u32,
            len: len as u32,
        }
    }

    /// One of the document's own strings.
    pub(crate) fn owned(index: usize) -> Text {
        Text {
            start: Self::OWNED | index as u32,
            len: 0,
        }
    }
}

/// One element of the tree.
#[derive(Debug)]
pub(crate) struct Node {
    pub(crate) ns: u16,
    pub(crate) attrs_len: u16,
    pub(crate) name: Text,
    pub(crate) parent: NodeId,
    pub(crate) first_child: NodeId,
    pub(crate) last_child: NodeId,
    pub(crate) next_sibling: NodeId,
    /// 1-based position among preceding siblings of the same local name.
    pub(crate) index: u32,
    pub(crate) attrs_start: u32,
    pub(crate) text: Text,
    pub(crate) span: (u32, u32),
}

/// One attribute: its name as written (with prefix, if any) and its normalized value.
#[derive(Debug)]
pub(crate) struct Attr {
    pub(crate) name: Text,
    pub(crate) value: Text,
}

/// A parsed document: elements in document order, the first one is the root.
#[derive(Debug)]
pub struct Document<'a> {
    pub(crate) source: &'a str,
    pub(crate) nodes: Vec<Node>,
    pub(crate) attrs: Vec<Attr>,
    pub(crate) owned: Vec<String>,
    pub(crate) namespaces: Vec<String>,
}

/// A reference to one element of a document.
#[derive(Clone, Copy)]
pub struct Element<'d, 'a> {
    doc: &'d Document<'a>,
    id: NodeId,
}

impl<'a> Document<'a> {
    /// Parses `input` within `limits` (inputs are limited to 1 GiB whatever the limits).
    pub fn parse(input: &'a [u8], limits: &Limits) -> Result<Self, XmlError> {
        let max = limits.max_bytes.min(1 << 30);
        if input.len() > max {
            let size = input.len();
            return Err(XmlError::new(
                XmlErrorKind::TooLarge,
                Words::new(
                    format!("de invoer is {size} bytes, de grens is {max}"),
                    format!("input is {size} bytes, the limit is {max}"),
                ),
                max,
            ));
        }
        let input = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
        let source = std::str::from_utf8(input).map_err(|e| {
            XmlError::new(
                XmlErrorKind::NotUtf8,
                Words::new(
                    "de invoer is geen geldige UTF-8",
                    "input is not valid UTF-8",
                ),
                e.valid_up_to(),
            )
        })?;
        build::check_chars(source.as_bytes())?;
        build::Builder::new(source, limits).run()
    }

    /// The string a [`Text`] stands for.
    pub(crate) fn str(&self, text: Text) -> &str {
        if text.start & Text::OWNED != 0 {
            self.owned
                .get((text.start & !Text::OWNED) as usize)
                .map_or("", String::as_str)
        } else {
            let start = text.start as usize;
            self.source
                .get(start..start + text.len as usize)
                .unwrap_or("")
        }
    }

    /// The index of a namespace URI in this document, if any element uses it. Comparing
    /// indexes ([`Element::namespace_index`]) is cheaper than comparing URIs.
    pub fn namespace_index(&self, uri: &str) -> Option<u16> {
        self.namespaces
            .iter()
            .position(|n| same(n, uri))
            .map(|i| i as u16)
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
    fn node(&self) -> &'d Node {
        &self.doc.nodes[self.id as usize]
    }

    /// The local name (without prefix).
    pub fn name(&self) -> &'d str {
        self.doc.str(self.node().name)
    }

    /// The namespace URI, or `""` when the element is in no namespace.
    pub fn namespace(&self) -> &'d str {
        &self.doc.namespaces[self.node().ns as usize]
    }

    /// The index of the element's namespace in its document (see
    /// [`Document::namespace_index`]).
    pub fn namespace_index(&self) -> u16 {
        self.node().ns
    }

    /// The document the element belongs to.
    pub fn document(&self) -> &'d Document<'a> {
        self.doc
    }

    /// Whether the element has this namespace and local name.
    pub fn is(&self, namespace: &str, name: &str) -> bool {
        same(self.name(), name) && same(self.namespace(), namespace)
    }

    /// Whether the element has this local name (cheap for the short names of HL7).
    pub fn is_named(&self, name: &str) -> bool {
        same(self.name(), name)
    }

    /// The value of the unprefixed attribute `name`.
    pub fn attr(&self, name: &str) -> Option<&'d str> {
        self.own_attrs()
            .iter()
            .find(|a| same(self.doc.str(a.name), name))
            .map(|a| self.doc.str(a.value))
    }

    /// All attributes as (name as written, value).
    pub fn attrs(&self) -> impl Iterator<Item = (&'d str, &'d str)> + 'd {
        let doc = self.doc;
        self.own_attrs()
            .iter()
            .map(move |a| (doc.str(a.name), doc.str(a.value)))
    }

    fn own_attrs(&self) -> &'d [Attr] {
        let node = self.node();
        let start = node.attrs_start as usize;
        &self.doc.attrs[start..start + usize::from(node.attrs_len)]
    }

    /// The text directly inside the element (entity references resolved), if any.
    pub fn text(&self) -> Option<&'d str> {
        let text = self.node().text;
        (text != Text::NONE).then(|| self.doc.str(text))
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
        let (start, end) = self.node().span;
        self.doc
            .source
            .get(start as usize..end as usize)
            .unwrap_or("")
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
    pub(crate) doc: &'d Document<'a>,
    pub(crate) next: NodeId,
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
