//! Shared test support: paths to the reference material, the lotgate binary, xmllint.

pub mod faulty;
pub mod gateway;
pub mod http;
pub mod pki;
pub mod proxy;
pub mod sender;
pub mod smtp;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The crate's root directory.
pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared/reference` beside the checkout (override with LOTGATE_SHARED_REFERENCE).
pub fn reference_dir() -> PathBuf {
    std::env::var_os("LOTGATE_SHARED_REFERENCE")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate_dir().join("../shared/reference"))
}

/// The official Nictiz schema for an interaction (`PRMM_IN010043NL` or `MCCI_IN000002`).
pub fn official_schema(interaction: &str) -> PathBuf {
    reference_dir().join(format!("nictiz-hl7v3/hl7v3_schemas/{interaction}.xsd"))
}

/// The project's own XSD profile for an interaction.
pub fn project_schema(interaction: &str) -> PathBuf {
    crate_dir().join(format!("schemas/lotgate-{interaction}.xsd"))
}

/// Runs `xmllint --noout --nonet --schema` on a file; `Ok` when it validates, otherwise
/// xmllint's complaint.
pub fn xmllint_file(schema: &Path, file: &Path) -> Result<(), String> {
    let output = Command::new("xmllint")
        .args(["--noout", "--nonet", "--schema"])
        .arg(schema)
        .arg(file)
        .output()
        .expect("xmllint runs (install libxml2-utils)");
    if output.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

/// Like [`xmllint_file`] for a document in memory.
pub fn xmllint(schema: &Path, xml: &str) -> Result<(), String> {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("doc.xml");
    std::fs::write(&file, xml).expect("write temp file");
    xmllint_file(schema, &file)
}

/// Runs the lotgate binary with arguments.
pub fn lotgate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lotgate"))
        .args(args)
        .current_dir(crate_dir())
        .output()
        .expect("lotgate binary runs")
}

/// The HL7 document inside a SOAP envelope written by lotgate (from the interaction's
/// start tag to its end tag), with an XML declaration.
pub fn strip_envelope(envelope: &str) -> String {
    let doc = lotgate::xml::Document::parse(envelope.as_bytes(), &Default::default())
        .expect("envelope parses");
    let body = doc.root().child("Body").expect("has a Body");
    let interaction = body.children().next().expect("Body has an element");
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{}",
        interaction.source()
    )
}

/// A delivery of `lots` sample lots from sender 99999001 to receiver 99999002, message
/// id extension `extension`, in its SOAP envelope.
pub fn envelope(lots: usize, extension: &str) -> String {
    use lotgate::{sample, wire::soap};
    soap::message_envelope(&sample::message_with(sample::lot_set(lots), extension))
}

/// The acknowledgement's type code (CA, CE or CR) in a response body.
pub fn ack_type(body: &str) -> &str {
    ack_type_of(body).unwrap_or_else(|| panic!("no acknowledgement in {body}"))
}

/// The acknowledgement type (`CA`, `CE`, `CR`) in an answer, if it holds one.
pub fn ack_type_of(body: &str) -> Option<&'static str> {
    ["CA", "CE", "CR"]
        .into_iter()
        .find(|t| body.contains(&format!("<acknowledgement typeCode=\"{t}\">")))
}
