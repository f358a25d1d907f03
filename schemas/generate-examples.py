#!/usr/bin/env python3
"""Writes the example corpus under schemas/examples/ and its manifest.toml.

Each example is one entry in EXAMPLES below: the file, its flaw, the verdict and rule codes
lotgate must give (see the validation contract), and what xmllint says with the official
schema and with the project profile. Those two xmllint columns are written here by hand,
as expectations; ./check-manifest.sh runs xmllint and reports every disagreement.

Run from anywhere:  python3 schemas/generate-examples.py
It rewrites schemas/examples/{valid,invalid}/ completely (stale files are removed).
The reference example is copied byte for byte from ../shared/reference/examples/.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
EXAMPLES_DIR = HERE / "examples"
REFERENCE = HERE.parent.parent / "shared" / "reference" / "examples" / "PRMM_IN010043NL-4-lots.xml"
REFERENCE_CA = HERE.parent.parent / "shared" / "reference" / "examples" / "MCCI_IN000002-CA.xml"

SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
XML_DECL = '<?xml version="1.0" encoding="UTF-8"?>\n'

# --------------------------------------------------------------------------- building blocks


def product(lot: str, code: str, name: str, expiry: str | None = None,
            id_attrs: str | None = None, extra_instance: str = "") -> str:
    """One product (lot) as it appears inside ProductList, indented as in the reference."""
    if id_attrs is None:
        id_attrs = f'nullFlavor="UNC" extension="{lot}"'
    exp = ""
    if expiry is not None:
        exp = ("              <expirationTime>\n"
               f'                <high value="{expiry}"/>\n'
               "              </expirationTime>\n")
    return (
        '        <product typeCode="PRD">\n'
        '          <instanceOfKind classCode="INST">\n'
        '            <productInstanceInstance classCode="MMAT" determinerCode="INSTANCE">\n'
        f"              <id {id_attrs}/>\n"
        f"{exp}"
        '              <asInstanceOfKind classCode="INST">\n'
        '                <kindOfMaterialKind classCode="MAT" determinerCode="KIND">\n'
        f'                  <code code="{code}" codeSystem="2.16.840.1.113883.2.4.4.40.76" displayName="{name}"/>\n'
        "                </kindOfMaterialKind>\n"
        "              </asInstanceOfKind>\n"
        "            </productInstanceInstance>\n"
        f"{extra_instance}"
        "          </instanceOfKind>\n"
        "        </product>\n"
    )


LOT1 = ("ASPNA186DF", "08", "Pneu", "20250131")
LOT2 = ("VNS1L07B", "06", "MenC", None)
LOT3 = ("J010503", "04", "BMR", "20251231")
THREE_LOTS = product(*LOT1) + product(*LOT2) + product(*LOT3)

AUTHOR_FULL = (
    '          <id root="2.16.528.1.1007.3.2" extension="900099999"/>\n'
    '          <id root="2.16.840.1.113883.2.4.6.6" extension="99999001"/>\n'
    "          <Organization>\n"
    '            <id root="2.16.528.1.1007.3.3" extension="00009999"/>\n'
    "            <name>Voorbeeldorganisatie Praeventis</name>\n"
    "          </Organization>\n"
)


def message(msg_ext: str, products: str = THREE_LOTS, author: str = AUTHOR_FULL,
            decl: bool = True) -> str:
    """A complete, valid PRMM_IN010043NL (sender 99999001, receiver 99999002)."""
    return (
        (XML_DECL if decl else "")
        + '<PRMM_IN010043NL xmlns="urn:hl7-org:v3">\n'
        f'  <id root="2.16.840.1.113883.2.4.6.6.99999001.1" extension="{msg_ext}"/>\n'
        '  <creationTime value="20240601020000"/>\n'
        '  <versionCode code="NICTIZEd2005-Okt"/>\n'
        '  <interactionId root="2.16.840.1.113883.1.6" extension="PRMM_IN010043NL"/>\n'
        '  <profileId root="2.16.840.1.113883.2.4.3.11.1" extension="810"/>\n'
        '  <processingCode code="P"/>\n'
        '  <processingModeCode code="T"/>\n'
        '  <acceptAckCode code="AL"/>\n'
        "  <receiver>\n"
        "    <device>\n"
        '      <id root="2.16.840.1.113883.2.4.6.6" extension="99999002"/>\n'
        "    </device>\n"
        "  </receiver>\n"
        "  <sender>\n"
        "    <device>\n"
        '      <id root="2.16.840.1.113883.2.4.6.6" extension="99999001"/>\n'
        "    </device>\n"
        "  </sender>\n"
        '  <ControlActProcess moodCode="EVN">\n'
        '    <authorOrPerformer typeCode="AUT">\n'
        "      <participant>\n"
        "        <AssignedDevice>\n"
        f"{author}"
        "        </AssignedDevice>\n"
        "      </participant>\n"
        "    </authorOrPerformer>\n"
        "    <subject>\n"
        '      <ProductList classCode="LIST" moodCode="EVN">\n'
        '        <templateId root="2.16.840.1.113883.2.4.6.10.100.140"/>\n'
        '        <code code="373873005" codeSystem="2.16.840.1.113883.6.96" displayName="Pharmaceutical / biologic product"/>\n'
        "        <effectiveTime>\n"
        '          <low value="20240601000000"/>\n'
        '          <high value="20240601235959"/>\n'
        "        </effectiveTime>\n"
        f"{products}"
        "      </ProductList>\n"
        "    </subject>\n"
        "  </ControlActProcess>\n"
        "</PRMM_IN010043NL>\n"
    )


def strip_decl(doc: str) -> str:
    return doc[len(XML_DECL):] if doc.startswith(XML_DECL) else doc


def indent(doc: str, spaces: int) -> str:
    pad = " " * spaces
    return "".join(pad + line if line.strip() else line for line in doc.splitlines(True))


def envelope(body: str, header: str | None = "  <soap:Header/>\n", ns: str = SOAP11,
             header_after_body: bool = False) -> str:
    """A SOAP envelope (prefix soap) around body (already indented content)."""
    body_el = f"  <soap:Body>\n{body}  </soap:Body>\n" if body else "  <soap:Body/>\n"
    parts = [body_el, header or ""] if header_after_body else [header or "", body_el]
    return (XML_DECL + f'<soap:Envelope xmlns:soap="{ns}">\n' + "".join(parts)
            + "</soap:Envelope>\n")


def in_body(doc: str) -> str:
    return indent(strip_decl(doc), 4)


def edit(doc: str, *pairs: tuple[str, str]) -> str:
    """Replaces each old text (which must occur exactly once) by the new one."""
    for old, new in pairs:
        n = doc.count(old)
        if n != 1:
            raise SystemExit(f"edit: {old!r} occurs {n} times")
        doc = doc.replace(old, new)
    return doc


def ext(stem: str) -> str:
    """A distinct message id extension per example (printable ASCII, at most 64)."""
    e = "EX-" + stem
    assert len(e) <= 64
    return e


# Frequently edited fragments of message().
SENDER_ID = '\n      <id root="2.16.840.1.113883.2.4.6.6" extension="99999001"/>'
RECEIVER_ID = '\n      <id root="2.16.840.1.113883.2.4.6.6" extension="99999002"/>'
AUTHOR_AORTA = '\n          <id root="2.16.840.1.113883.2.4.6.6" extension="99999001"/>'
AUTHOR_UZI = '\n          <id root="2.16.528.1.1007.3.2" extension="900099999"/>'
ORGANIZATION = ("\n          <Organization>\n"
                '            <id root="2.16.528.1.1007.3.3" extension="00009999"/>\n'
                "            <name>Voorbeeldorganisatie Praeventis</name>\n"
                "          </Organization>")
LOT1_ID = '<id nullFlavor="UNC" extension="ASPNA186DF"/>'
LOT1_EXPIRY = ("              <expirationTime>\n"
               '                <high value="20250131"/>\n'
               "              </expirationTime>\n")
LOT1_CODE = '<code code="08" codeSystem="2.16.840.1.113883.2.4.4.40.76" displayName="Pneu"/>'
LIST_CODE = ('<code code="373873005" codeSystem="2.16.840.1.113883.6.96" '
             'displayName="Pharmaceutical / biologic product"/>')
EFFECTIVE = ("        <effectiveTime>\n"
             '          <low value="20240601000000"/>\n'
             '          <high value="20240601235959"/>\n'
             "        </effectiveTime>\n")
TEMPLATE = '        <templateId root="2.16.840.1.113883.2.4.6.10.100.140"/>\n'

VACCINES = [
    ("01", "DKTP"), ("02", "DTP"), ("03", "Hib"), ("04", "BMR"), ("05", "Hepatitis B"),
    ("06", "MenC"), ("07", "BCG"), ("08", "Pneu"), ("09", "HPV"), ("10", "DKTP-Hib"),
    ("11", "DKTP-Hib-Hepatitis B"), ("12", "D"), ("13", "DKT"), ("14", "DT"),
    ("15", "aK (acellulair kinkhoest vaccin)"), ("16", "DaKT"), ("17", "DaKTP"), ("18", "DP"),
    ("19", "T"), ("20", "P"), ("21", "B"), ("22", "M"), ("23", "R"), ("24", "BM"), ("25", "MR"),
    ("26", "DKTP-Hepatitis B"), ("27", "DKTP booster"), ("28", "MenACWY"), ("29", "Rota"),
    ("30", "MatGriep"),
]

# --------------------------------------------------------------------------- the corpus


@dataclass
class Example:
    file: str                 # relative to schemas/examples/
    flaw: str                 # one line, English
    verdict: str              # accept | CE | CR | fault | unusable
    codes: list[str]
    official: str             # valid | invalid | n/a
    project: str              # valid | invalid | n/a
    content: bytes
    note: str = ""            # "project XSD cannot express: ..." when project valid, verdict not accept
    extra: dict = field(default_factory=dict)


EXAMPLES: list[Example] = []


def add(file: str, flaw: str, verdict: str, codes: list[str], official: str, project: str,
        content: str | bytes, note: str = "") -> None:
    data = content.encode("utf-8") if isinstance(content, str) else content
    EXAMPLES.append(Example(file, flaw, verdict, codes, official, project, data, note))


def v(stem: str) -> str:
    return message(ext(stem))


# ---- valid -------------------------------------------------------------------------------

ref = REFERENCE.read_bytes()
add("valid/reference-4-lots.xml", "the reference message with four lots, bare (copied unchanged)",
    "accept", [], "valid", "valid", ref)
add("valid/soap-envelope-4-lots.xml", "the reference message in a SOAP 1.1 envelope with an empty header",
    "accept", [], "n/a", "n/a", envelope(in_body(ref.decode("utf-8"))))
add("valid/soap-without-header.xml", "SOAP 1.1 envelope without a Header (it is optional)",
    "accept", [], "n/a", "n/a", envelope(in_body(v("soap-without-header")), header=None))
add("valid/soap-header-with-security-token.xml",
    "SOAP 1.1 header carrying an AORTA-style WS-Security token, which lotgate ignores",
    "accept", [], "n/a", "n/a",
    envelope(in_body(v("soap-header-with-security-token")), header=(
        "  <soap:Header>\n"
        '    <wsse:Security xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd">\n'
        '      <wsse:UsernameToken>\n'
        "        <wsse:Username>99999001</wsse:Username>\n"
        "      </wsse:UsernameToken>\n"
        "    </wsse:Security>\n"
        "  </soap:Header>\n")))
add("valid/one-lot.xml", "a list with a single lot", "accept", [], "valid", "valid",
    message(ext("one-lot"), products=product(*LOT1)))
add("valid/lot-id-with-root.xml", "lot id with an OID @root instead of nullFlavor", "accept", [],
    "valid", "valid",
    edit(v("lot-id-with-root"), (LOT1_ID, '<id root="2.16.840.1.113883.2.4.6.6.99999001.2" extension="ASPNA186DF"/>')))
add("valid/lot-id-null-flavor-ni.xml", "lot id with nullFlavor NI (any nullFlavor is accepted, UNC is what lotgate sends)",
    "accept", [], "valid", "valid", edit(v("lot-id-null-flavor-ni"), (LOT1_ID, '<id nullFlavor="NI" extension="ASPNA186DF"/>')))
add("valid/no-expiration-time.xml", "no lot has an expirationTime", "accept", [], "valid", "valid",
    message(ext("no-expiration-time"), products=product(*LOT1[:3]) + product(*LOT2) + product(*LOT3[:3])))
add("valid/control-act-class-code-cact.xml", 'ControlActProcess with classCode="CACT"', "accept", [],
    "valid", "valid",
    edit(v("control-act-class-code-cact"), ('<ControlActProcess moodCode="EVN">', '<ControlActProcess classCode="CACT" moodCode="EVN">')))
add("valid/accept-ack-ne.xml", "acceptAckCode NE instead of AL (tolerated with a warning)", "accept",
    ["wrapper.accept-ack-ne"], "valid", "valid",
    edit(v("accept-ack-ne"), ('<acceptAckCode code="AL"/>', '<acceptAckCode code="NE"/>')))
add("valid/kind-of-product-ignored.xml", "instanceOfKind/kindOfProduct present (ignored on receipt)",
    "accept", [], "valid", "valid",
    message(ext("kind-of-product-ignored"), products=product(*LOT1, extra_instance=(
        '            <kindOfProduct classCode="MMAT" determinerCode="KIND">\n'
        "              <name>Pneumokokkenvaccin (voorbeeld)</name>\n"
        "            </kindOfProduct>\n")) + product(*LOT2)))
add("valid/author-aorta-id-only.xml", "author device with only the AORTA application id (no UZI id, no Organization)",
    "accept", [], "valid", "valid", edit(v("author-aorta-id-only"), (AUTHOR_UZI, ""), (ORGANIZATION, "")))
add("valid/unknown-vaccine-code.xml", 'vaccine code "31", two digits but outside value set W0422',
    "accept", ["vaccine.unknown-code"], "valid", "valid",
    message(ext("unknown-vaccine-code"), products=product(*LOT1) + product("NL03720", "31", "Onbekend vaccin", "20250630")))
add("valid/duplicate-entry.xml", "the exact same entry (lot number and vaccine code) twice", "accept",
    ["lot.duplicate"], "valid", "valid",
    message(ext("duplicate-entry"), products=product(*LOT1) + product(*LOT1) + product(*LOT2)))
add("valid/expired-lot.xml", "a lot whose expiry date (20240531) is before the creationTime date", "accept",
    ["lot.expired"], "valid", "valid",
    message(ext("expired-lot"), products=product("C2988AA", "01", "DKTP", "20240531") + product(*LOT2)))
add("valid/expiry-on-creation-date.xml", "a lot expiring on the creationTime date itself is not yet expired",
    "accept", [], "valid", "valid",
    message(ext("expiry-on-creation-date"), products=product("C2988AA", "01", "DKTP", "20240601") + product(*LOT2)))
add("valid/expiry-full-timestamp.xml", "expirationTime/high given to the second (YYYYMMDDHHMMSS)", "accept", [],
    "valid", "valid", message(ext("expiry-full-timestamp"), products=product("35187", "09", "HPV", "20250131235959")))
add("valid/lot-50-characters.xml", "lot number of exactly 50 characters (the maximum)", "accept", [],
    "valid", "valid", message(ext("lot-50-characters"), products=product("L" + "0123456789" * 4 + "ABCDEFGHI", "08", "Pneu")))
add("valid/lot-non-ascii.xml", "lot number with non-ASCII letters (opaque, case-preserving)", "accept", [],
    "valid", "valid", message(ext("lot-non-ascii"), products=product("Ünï-35187-ä", "05", "Hepatitis B", "20251231")))
add("valid/creation-time-with-fraction-and-offset.xml", "creationTime with fraction and UTC offset (20240601020000.123+0200)",
    "accept", [], "valid", "valid",
    edit(v("creation-time-with-fraction-and-offset"), ('<creationTime value="20240601020000"/>', '<creationTime value="20240601020000.123+0200"/>')))
add("valid/all-vaccine-codes.xml", "30 lots, one for every code of value set W0422", "accept", [],
    "valid", "valid",
    message(ext("all-vaccine-codes"), products="".join(product(f"W0422-{c}-A1", c, n, "20251231") for c, n in VACCINES)))

# ---- unusable: hostile or broken bytes ----------------------------------------------------

base = v("hostile")
LOL = ('<!DOCTYPE PRMM_IN010043NL [\n  <!ENTITY lol "lol">\n'
       + "".join(f'  <!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n' for i in range(1, 10))
       + "]>\n")
add("invalid/billion-laughs.xml", "billion laughs: nested entity declarations expanding to 10^9 strings",
    "unusable", ["xml.doctype"], "n/a", "n/a",
    XML_DECL + LOL + edit(strip_decl(base), ("<name>Voorbeeldorganisatie Praeventis</name>", "<name>&lol9;</name>")))
add("invalid/external-entity.xml", "external entity (XXE) reading file:///etc/passwd into the organisation name",
    "unusable", ["xml.doctype"], "n/a", "n/a",
    XML_DECL + '<!DOCTYPE PRMM_IN010043NL [\n  <!ENTITY xxe SYSTEM "file:///etc/passwd">\n]>\n'
    + edit(strip_decl(base), ("<name>Voorbeeldorganisatie Praeventis</name>", "<name>&xxe;</name>")))
add("invalid/external-dtd.xml", "DOCTYPE referring to an external DTD over HTTP", "unusable", ["xml.doctype"],
    "n/a", "n/a", XML_DECL + '<!DOCTYPE PRMM_IN010043NL SYSTEM "http://attacker.example/lotgate.dtd">\n' + strip_decl(base))
add("invalid/doctype.xml", "a plain DOCTYPE without declarations in an otherwise valid message", "unusable",
    ["xml.doctype"], "n/a", "n/a", XML_DECL + "<!DOCTYPE PRMM_IN010043NL>\n" + strip_decl(base))
add("invalid/depth-100000.xml", "100,000 nested elements", "unusable", ["xml.too-deep"], "n/a", "n/a",
    XML_DECL + '<PRMM_IN010043NL xmlns="urn:hl7-org:v3">' + "<a>" * 99_999 + "</a>" * 99_999 + "</PRMM_IN010043NL>\n")
add("invalid/depth-65.xml", "nesting of 65 levels (limit 64), hidden in the otherwise ignored kindOfProduct",
    "unusable", ["xml.too-deep"], "n/a", "n/a",
    message(ext("depth-65"), products=product(*LOT1, extra_instance=(
        '            <kindOfProduct classCode="MMAT" determinerCode="KIND">'
        + "<x>" * 58 + "</x>" * 58 + "</kindOfProduct>\n"))))
add("invalid/too-many-attributes.xml", "1,000 attributes on one element", "unusable", ["xml.too-large"],
    "n/a", "n/a",
    edit(base, ('<ProductList classCode="LIST" moodCode="EVN">',
                '<ProductList classCode="LIST" moodCode="EVN"' + "".join(f' a{i:04d}="x"' for i in range(1000)) + ">")))
add("invalid/invalid-utf8.xml", "invalid UTF-8 bytes (C3 28) inside a lot number", "unusable", ["xml.not-utf8"],
    "n/a", "n/a", base.encode("utf-8").replace(b'extension="ASPNA186DF"', b'extension="ASPNA\xc3\x28186DF"'))
add("invalid/latin1-declared.xml", 'XML declaration names encoding ISO-8859-1 (content is plain ASCII)', "unusable",
    ["xml.not-utf8"], "n/a", "n/a", base.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"'))
add("invalid/utf16-encoded.xml", "the message encoded in UTF-16 (with BOM and matching declaration)", "unusable",
    ["xml.not-utf8"], "n/a", "n/a", base.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16"))
add("invalid/not-xml.txt", "plain text, not XML at all", "unusable", ["xml.malformed"], "n/a", "n/a",
    "partijnummers 2024-06-01\nASPNA186DF;08;2025-01-31\nVNS1L07B;06;\n")
add("invalid/empty-file.xml", "an empty file (zero bytes)", "unusable", ["xml.malformed"], "n/a", "n/a", b"")
add("invalid/truncated.xml", "message cut off in the middle of the first product", "unusable", ["xml.malformed"],
    "n/a", "n/a", base[: base.index("<expirationTime>")])
add("invalid/undefined-entity.xml", "undefined entity reference &nbsp; in a lot number", "unusable",
    ["xml.malformed"], "n/a", "n/a", edit(base, ('extension="ASPNA186DF"', 'extension="ASPNA&nbsp;186DF"')))
add("invalid/text-after-root.xml", "text after the root element", "unusable", ["xml.malformed"], "n/a", "n/a",
    base + "trailing garbage\n")
add("invalid/nul-byte.xml", "a NUL byte in the organisation name (not an XML 1.0 character)", "unusable",
    ["xml.malformed"], "n/a", "n/a", edit(base, ("Voorbeeldorganisatie Praeventis", "Voorbeeld\x00organisatie Praeventis")))
add("invalid/lot-with-bell-character-reference.xml",
    "character reference &#7; (U+0007) in a lot number: not a legal XML 1.0 character, so not well-formed",
    "unusable", ["xml.malformed"], "n/a", "n/a", edit(base, ('extension="ASPNA186DF"', 'extension="ASPNA&#7;186DF"')))

# ---- fault: SOAP and HL7 envelope level ----------------------------------------------------

add("invalid/not-envelope.xml", "an HTML error page instead of a SOAP envelope or HL7 interaction", "fault",
    ["soap.not-envelope"], "n/a", "n/a",
    XML_DECL + "<html>\n  <head><title>502 Bad Gateway</title></head>\n  <body><h1>502 Bad Gateway</h1></body>\n</html>\n")
add("invalid/soap12-envelope.xml", "SOAP 1.2 envelope namespace instead of SOAP 1.1", "fault", ["soap.version"],
    "n/a", "n/a", envelope(in_body(v("soap12-envelope")), ns=SOAP12))
add("invalid/soap-missing-body.xml", "SOAP envelope with a Header and no Body", "fault", ["soap.body"], "n/a", "n/a",
    XML_DECL + f'<soap:Envelope xmlns:soap="{SOAP11}">\n  <soap:Header/>\n</soap:Envelope>\n')
add("invalid/soap-header-after-body.xml", "SOAP Header after the Body", "fault", ["soap.body"], "n/a", "n/a",
    envelope(in_body(v("soap-header-after-body")), header_after_body=True))
add("invalid/soap-empty-body.xml", "SOAP Body without any element", "fault", ["soap.body-count"], "n/a", "n/a",
    envelope(""))
add("invalid/two-interactions-in-body.xml", "two PRMM_IN010043NL interactions in one SOAP Body", "fault",
    ["soap.body-count"], "n/a", "n/a",
    envelope(in_body(v("two-interactions-in-body-1")) + in_body(v("two-interactions-in-body-2"))))
add("invalid/wrong-namespace.xml", "interaction in namespace urn:hl7-org:v2 inside a SOAP envelope", "fault",
    ["hl7.namespace"], "n/a", "n/a",
    envelope(in_body(v("wrong-namespace").replace('xmlns="urn:hl7-org:v3"', 'xmlns="urn:hl7-org:v2"'))))
add("invalid/missing-namespace.xml", "interaction without any namespace declaration inside a SOAP envelope", "fault",
    ["hl7.namespace"], "n/a", "n/a",
    envelope(in_body(v("missing-namespace").replace(' xmlns="urn:hl7-org:v3"', ""))))
add("invalid/acknowledgement-instead-of-message.xml", "an MCCI_IN000002 acknowledgement sent in place of the message",
    "fault", ["hl7.interaction"], "invalid", "invalid", REFERENCE_CA.read_bytes())
add("invalid/unknown-interaction.xml", "unknown interaction PRMM_IN010099NL (root and interactionId agree)", "fault",
    ["hl7.interaction"], "invalid", "invalid",
    v("unknown-interaction").replace("PRMM_IN010043NL", "PRMM_IN010099NL"))
add("invalid/missing-message-id.xml", "no message id element", "fault", ["hl7.message-id"], "invalid", "invalid",
    edit(v("missing-message-id"), ('  <id root="2.16.840.1.113883.2.4.6.6.99999001.1" extension="EX-missing-message-id"/>\n', "")))
add("invalid/missing-message-id-extension.xml", "message id without @extension", "fault", ["hl7.message-id"],
    "valid", "invalid",
    edit(v("missing-message-id-extension"), (' extension="EX-missing-message-id-extension"', "")))
add("invalid/message-id-empty-root.xml", 'message id with root=""', "fault", ["hl7.message-id"], "invalid", "invalid",
    edit(v("message-id-empty-root"), ('<id root="2.16.840.1.113883.2.4.6.6.99999001.1"', '<id root=""')))
add("invalid/missing-sender-device-id.xml", "sender/device without an id", "fault", ["hl7.sender-id"], "invalid",
    "invalid", edit(v("missing-sender-device-id"), (SENDER_ID, "")))
add("invalid/sender-id-without-extension.xml", "sender/device/id without @extension", "fault", ["hl7.sender-id"],
    "valid", "invalid",
    edit(v("sender-id-without-extension"), (SENDER_ID, '\n      <id root="2.16.840.1.113883.2.4.6.6"/>')))

# ---- CR: wrapper values --------------------------------------------------------------------

add("invalid/wrong-version-code.xml", "versionCode NICTIZEd2005-Jan instead of NICTIZEd2005-Okt", "CR",
    ["wrapper.version-code"], "valid", "invalid",
    edit(v("wrong-version-code"), ('<versionCode code="NICTIZEd2005-Okt"/>', '<versionCode code="NICTIZEd2005-Jan"/>')))
add("invalid/wrong-interaction-id.xml", "interactionId extension PRMM_IN010042NL differs from the root element name",
    "CR", ["wrapper.interaction-id"], "valid", "invalid",
    edit(v("wrong-interaction-id"), ('extension="PRMM_IN010043NL"/>', 'extension="PRMM_IN010042NL"/>')))
add("invalid/interaction-id-root-wrong.xml", "interactionId root 2.16.840.1.113883.1.18 instead of 2.16.840.1.113883.1.6",
    "CR", ["wrapper.interaction-id"], "valid", "invalid",
    edit(v("interaction-id-root-wrong"), ('<interactionId root="2.16.840.1.113883.1.6"', '<interactionId root="2.16.840.1.113883.1.18"')))
add("invalid/wrong-profile-id.xml", "profileId extension 811 instead of 810", "CR", ["wrapper.profile-id"],
    "valid", "invalid",
    edit(v("wrong-profile-id"), ('<profileId root="2.16.840.1.113883.2.4.3.11.1" extension="810"/>',
                                 '<profileId root="2.16.840.1.113883.2.4.3.11.1" extension="811"/>')))
add("invalid/processing-code-d.xml", "processingCode D (debugging) instead of P", "CR", ["wrapper.processing-code"],
    "valid", "invalid", edit(v("processing-code-d"), ('<processingCode code="P"/>', '<processingCode code="D"/>')))
add("invalid/processing-mode-a.xml", "processingModeCode A (archive) instead of T", "CR", ["wrapper.processing-mode"],
    "valid", "invalid", edit(v("processing-mode-a"), ('<processingModeCode code="T"/>', '<processingModeCode code="A"/>')))
add("invalid/accept-ack-er.xml", "acceptAckCode ER instead of AL", "CR", ["wrapper.accept-ack"], "valid", "invalid",
    edit(v("accept-ack-er"), ('<acceptAckCode code="AL"/>', '<acceptAckCode code="ER"/>')))
add("invalid/receiver-root-wrong.xml", "receiver/device/id root is the UZI root, not the AORTA application id root",
    "CR", ["wrapper.receiver"], "valid", "invalid",
    edit(v("receiver-root-wrong"), (RECEIVER_ID, '\n      <id root="2.16.528.1.1007.3.2" extension="99999002"/>')))
add("invalid/sender-root-wrong.xml", "sender/device/id root is the UZI root, not the AORTA application id root",
    "CR", ["wrapper.sender"], "valid", "invalid",
    edit(v("sender-root-wrong"), (SENDER_ID, '\n      <id root="2.16.528.1.1007.3.2" extension="99999001"/>')))
add("invalid/author-differs-from-sender.xml", "author AORTA id 99999003 differs from sender application id 99999001",
    "CR", ["wrapper.author"], "valid", "invalid",
    edit(v("author-differs-from-sender"), (AUTHOR_AORTA, '\n          <id root="2.16.840.1.113883.2.4.6.6" extension="99999003"/>')))
add("invalid/author-without-aorta-id.xml", "author device with only a UZI server id (and Organization), no AORTA id",
    "CR", ["wrapper.author"], "valid", "invalid", edit(v("author-without-aorta-id"), (AUTHOR_AORTA, "")))

# ---- CE: content -----------------------------------------------------------------------------

CANNOT_UZI = "project XSD cannot express: UZI/URA pairing (presence depends on an attribute value)"
add("invalid/uzi-without-ura.xml", "UZI server id on the author but no Organization with a URA", "CE",
    ["author.uzi-ura"], "valid", "valid", edit(v("uzi-without-ura"), (ORGANIZATION, "")), CANNOT_UZI)
add("invalid/ura-without-uzi.xml", "Organization with a URA but no UZI server id on the author", "CE",
    ["author.uzi-ura"], "valid", "valid", edit(v("ura-without-uzi"), (AUTHOR_UZI, "")), CANNOT_UZI)
add("invalid/blank-lot.xml", "lot number of three spaces", "CE", ["lot.blank"], "valid", "invalid",
    edit(v("blank-lot"), ('extension="ASPNA186DF"', 'extension="   "')))
add("invalid/empty-lot.xml", 'lot number extension=""', "CE", ["lot.blank"], "invalid", "invalid",
    edit(v("empty-lot"), ('extension="ASPNA186DF"', 'extension=""')))
add("invalid/lot-51-characters.xml", "lot number of 51 characters", "CE", ["lot.too-long"], "valid", "invalid",
    edit(v("lot-51-characters"), ('extension="ASPNA186DF"', 'extension="L' + "0123456789" * 5 + '"')))
add("invalid/lot-with-control-character.xml", "lot number containing a tab (&#9;), a control character", "CE",
    ["lot.control-char"], "valid", "invalid", edit(v("lot-with-control-character"), ('extension="ASPNA186DF"', 'extension="ASPNA&#9;186DF"')))
add("invalid/lot-missing-extension.xml", "lot id without @extension (no lot number)", "CE", ["lot.missing"],
    "valid", "invalid", edit(v("lot-missing-extension"), (LOT1_ID, '<id nullFlavor="UNC"/>')))
add("invalid/lot-id-without-root-or-nullflavor.xml", "lot id with neither @root nor @nullFlavor", "CE",
    ["lot.id-root"], "valid", "invalid", edit(v("lot-id-without-root-or-nullflavor"), (LOT1_ID, '<id extension="ASPNA186DF"/>')))
add("invalid/lot-id-root-not-oid.xml", 'lot id root "LOTNUMBERS" is not an OID (the official schema allows it as a ruid)',
    "CE", ["lot.id-root"], "valid", "invalid",
    edit(v("lot-id-root-not-oid"), (LOT1_ID, '<id root="LOTNUMBERS" extension="ASPNA186DF"/>')))
add("invalid/lot-under-two-vaccine-types.xml", "lot number ASPNA186DF listed under vaccine types 08 and 06", "CE",
    ["lot.two-vaccines"], "valid", "valid",
    message(ext("lot-under-two-vaccine-types"), products=product(*LOT1) + product("ASPNA186DF", "06", "MenC", "20250131")),
    "project XSD cannot express: one lot under two vaccine types (exact duplicates must stay allowed)")
add("invalid/empty-list.xml", "ProductList without any product", "CE", ["list.empty"], "valid", "invalid",
    message(ext("empty-list"), products=""))
add("invalid/missing-effective-time.xml", "ProductList without effectiveTime", "CE", ["list.effective-time"],
    "valid", "invalid", edit(v("missing-effective-time"), (EFFECTIVE, "")))
add("invalid/missing-effective-time-high.xml", "effectiveTime with low only", "CE", ["list.effective-time"],
    "valid", "invalid", edit(v("missing-effective-time-high"), ('          <high value="20240601235959"/>\n', "")))
add("invalid/effective-time-width.xml", "effectiveTime with low and width instead of high", "CE",
    ["list.effective-time"], "valid", "invalid",
    edit(v("effective-time-width"), ('<high value="20240601235959"/>', '<width value="1" unit="d"/>')))
add("invalid/effective-time-low-after-high.xml", "effectiveTime low (20240602) after high (20240601)", "CE",
    ["list.effective-time"], "valid", "valid",
    edit(v("effective-time-low-after-high"), ('<low value="20240601000000"/>', '<low value="20240602000000"/>')),
    "project XSD cannot express: order of two timestamps (low after high)")
add("invalid/effective-time-12-digits.xml", "effectiveTime/low with 12 digits (no seconds)", "CE",
    ["list.effective-time"], "valid", "invalid",
    edit(v("effective-time-12-digits"), ('<low value="20240601000000"/>', '<low value="202406010000"/>')))
add("invalid/creation-time-12-digits.xml", "creationTime with 12 digits (no seconds)", "CE", ["timestamp.format"],
    "valid", "invalid",
    edit(v("creation-time-12-digits"), ('<creationTime value="20240601020000"/>', '<creationTime value="202406010200"/>')))
add("invalid/creation-time-not-a-date.xml", "creationTime 20240231020000: 31 February does not exist", "CE",
    ["timestamp.format"], "valid", "valid",
    edit(v("creation-time-not-a-date"), ('<creationTime value="20240601020000"/>', '<creationTime value="20240231020000"/>')),
    "project XSD cannot express: calendar validity of a date (patterns allow day 31 in every month)")
add("invalid/missing-creation-time.xml", "no creationTime element", "CE", ["structure.missing"], "invalid", "invalid",
    edit(v("missing-creation-time"), ('  <creationTime value="20240601020000"/>\n', "")))
add("invalid/missing-vaccine-display-name.xml", "vaccine code without displayName", "CE", ["vaccine.display-name"],
    "valid", "invalid", edit(v("missing-vaccine-display-name"), (LOT1_CODE, '<code code="08" codeSystem="2.16.840.1.113883.2.4.4.40.76"/>')))
add("invalid/wrong-vaccine-code-system.xml", "vaccine code in code system 2.16.840.1.113883.2.4.4.40.77", "CE",
    ["vaccine.code-system"], "valid", "invalid",
    edit(v("wrong-vaccine-code-system"), (LOT1_CODE, '<code code="08" codeSystem="2.16.840.1.113883.2.4.4.40.77" displayName="Pneu"/>')))
add("invalid/vaccine-code-three-digits.xml", 'vaccine code "008" (three digits)', "CE", ["vaccine.code"], "valid",
    "invalid", edit(v("vaccine-code-three-digits"), (LOT1_CODE, '<code code="008" codeSystem="2.16.840.1.113883.2.4.4.40.76" displayName="Pneu"/>')))
add("invalid/vaccine-code-missing.xml", "vaccine code element without @code", "CE", ["vaccine.code"], "valid",
    "invalid", edit(v("vaccine-code-missing"), (LOT1_CODE, '<code codeSystem="2.16.840.1.113883.2.4.4.40.76" displayName="Pneu"/>')))
add("invalid/list-code-wrong.xml", "ProductList/code 410942007 instead of 373873005", "CE", ["list.code"], "valid",
    "invalid", edit(v("list-code-wrong"), ('<code code="373873005"', '<code code="410942007"')))
add("invalid/list-code-without-display-name.xml", "ProductList/code without displayName", "CE", ["list.code"],
    "valid", "invalid",
    edit(v("list-code-without-display-name"), (LIST_CODE, '<code code="373873005" codeSystem="2.16.840.1.113883.6.96"/>')))
add("invalid/missing-list-code.xml", "ProductList without code", "CE", ["structure.missing"], "valid", "invalid",
    edit(v("missing-list-code"), ("        " + LIST_CODE + "\n", "")))
add("invalid/missing-template-id.xml", "ProductList without templateId", "CE", ["structure.missing"], "valid",
    "invalid", edit(v("missing-template-id"), (TEMPLATE, "")))
add("invalid/expiry-not-a-date.xml", 'expirationTime/high "2025-01-31" (ISO format with dashes)', "CE",
    ["lot.expiry-format"], "invalid", "invalid",
    edit(v("expiry-not-a-date"), ('<high value="20250131"/>', '<high value="2025-01-31"/>')))
add("invalid/expiry-impossible-date.xml", "expirationTime/high 20250230: 30 February does not exist", "CE",
    ["lot.expiry-format"], "valid", "valid",
    edit(v("expiry-impossible-date"), ('<high value="20250131"/>', '<high value="20250230"/>')),
    "project XSD cannot express: calendar validity of a date (patterns allow day 30 in February)")
add("invalid/expiry-with-low.xml", "expirationTime with low as well as high", "CE", ["lot.expiry-format"], "valid",
    "invalid", edit(v("expiry-with-low"), ('<high value="20250131"/>', '<low value="20240101"/>\n                <high value="20250131"/>')))
add("invalid/expiry-without-high.xml", "empty expirationTime (no high)", "CE", ["structure.missing"], "valid",
    "invalid", edit(v("expiry-without-high"), (LOT1_EXPIRY, "              <expirationTime/>\n")))
add("invalid/product-type-code-wrong.xml", 'product typeCode "CSM" instead of "PRD"', "CE", ["structure.fixed-value"],
    "invalid", "invalid",
    message(ext("product-type-code-wrong"), products=product(*LOT1).replace('typeCode="PRD"', 'typeCode="CSM"') + product(*LOT2)))
add("invalid/product-list-class-code-wrong.xml", 'ProductList classCode "OBS" instead of "LIST"', "CE",
    ["structure.fixed-value"], "invalid", "invalid",
    edit(v("product-list-class-code-wrong"), ('<ProductList classCode="LIST"', '<ProductList classCode="OBS"')))
add("invalid/template-id-wrong.xml", "ProductList templateId root ...100.141 instead of ...100.140", "CE",
    ["structure.fixed-value"], "valid", "invalid",
    edit(v("template-id-wrong"), ('<templateId root="2.16.840.1.113883.2.4.6.10.100.140"/>', '<templateId root="2.16.840.1.113883.2.4.6.10.100.141"/>')))
add("invalid/control-act-mood-wrong.xml", 'ControlActProcess moodCode "RQO" instead of "EVN"', "CE",
    ["structure.fixed-value"], "valid", "invalid",
    edit(v("control-act-mood-wrong"), ('<ControlActProcess moodCode="EVN">', '<ControlActProcess moodCode="RQO">')))
add("invalid/determiner-code-wrong.xml", 'productInstanceInstance determinerCode "KIND" instead of "INSTANCE"', "CE",
    ["structure.fixed-value"], "invalid", "invalid",
    message(ext("determiner-code-wrong"), products=product(*LOT1).replace('determinerCode="INSTANCE"', 'determinerCode="KIND"') + product(*LOT2)))
add("invalid/unexpected-element.xml", "an unknown element <note> inside productInstanceInstance", "CE",
    ["structure.unexpected"], "invalid", "invalid",
    edit(v("unexpected-element"), (LOT1_ID, LOT1_ID + "\n              <note>koel bewaren</note>")))
add("invalid/xinclude.xml", "an XInclude element pulling in file:///etc/passwd (must not be processed)", "CE",
    ["structure.unexpected"], "invalid", "invalid",
    edit(v("xinclude"), (EFFECTIVE, EFFECTIVE + '        <xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="file:///etc/passwd" parse="text"/>\n')))
add("invalid/elements-out-of-order.xml", "expirationTime after asInstanceOfKind (schema order violated)", "CE",
    ["structure.unexpected"], "invalid", "invalid",
    message(ext("elements-out-of-order"), products=product(*LOT1).replace(LOT1_EXPIRY, "").replace(
        "            </productInstanceInstance>\n", LOT1_EXPIRY + "            </productInstanceInstance>\n") + product(*LOT2)))
add("invalid/two-product-list-codes.xml", "ProductList with two code elements", "CE", ["structure.repeated"],
    "invalid", "invalid", edit(v("two-product-list-codes"), ("        " + LIST_CODE + "\n", ("        " + LIST_CODE + "\n") * 2)))

# --------------------------------------------------------------------------- output


def toml_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write() -> None:
    for sub in ("valid", "invalid"):
        d = EXAMPLES_DIR / sub
        if d.exists():
            shutil.rmtree(d)
        d.mkdir(parents=True)
    seen = set()
    lines = [
        "# lotgate example corpus: one entry per file under schemas/examples/.",
        "# Generated by schemas/generate-examples.py; checked by schemas/check-manifest.sh.",
        "#",
        "# file         path relative to schemas/examples/",
        "# flaw         what is special about the file (one line)",
        "# verdict      accept | CE | CR | fault | unusable  (what `lotgate validate` concludes)",
        "# codes        rule codes the validator must report (for accept: the expected warnings)",
        "# official_xsd xmllint result with ../shared/reference/nictiz-hl7v3/hl7v3_schemas/PRMM_IN010043NL.xsd",
        "# project_xsd  xmllint result with schemas/lotgate-PRMM_IN010043NL.xsd",
        "#              (n/a: not a bare HL7 document - SOAP envelope, not XML, DTD, bad encoding, ...)",
        "",
    ]
    for ex in EXAMPLES:
        assert ex.file not in seen, ex.file
        seen.add(ex.file)
        (EXAMPLES_DIR / ex.file).write_bytes(ex.content)
        lines.append("[[example]]")
        lines.append(f"file = {toml_str(ex.file)}")
        lines.append(f"flaw = {toml_str(ex.flaw)}")
        lines.append(f"verdict = {toml_str(ex.verdict)}")
        lines.append("codes = [" + ", ".join(toml_str(c) for c in ex.codes) + "]")
        lines.append(f"official_xsd = {toml_str(ex.official)}")
        proj = f"project_xsd = {toml_str(ex.project)}"
        if ex.note:
            proj += f"  # {ex.note}"
        lines.append(proj)
        lines.append("")
    (EXAMPLES_DIR / "manifest.toml").write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {len(EXAMPLES)} examples and manifest.toml under {EXAMPLES_DIR}")


if __name__ == "__main__":
    write()
