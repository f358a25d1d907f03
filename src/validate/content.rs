//! The rules that compare decoded values: who may send to whom, the author, and the lots
//! (one vaccine type per lot number, duplicates, expired lots).

use super::{Options, Report, Rule};
use crate::ids::ApplicationId;
use crate::lot::LotSet;
use crate::message::{Author, LotMessage};
use crate::strings::same;
use crate::wire::decode::{DecodedMessage, product_path};

/// Addressee, allowed sender, author equals sender, UZI/URA pairing.
pub fn check_identity(m: &DecodedMessage, options: &Options, report: &mut Report) {
    if let (Some(ours), Some(addressed)) = (&options.receiver, &m.receiver)
        && ours != addressed
    {
        report.add(
            Rule::WrapperReceiver,
            "/PRMM_IN010043NL/receiver/device/id/@extension",
            format!("het bericht is gericht aan {addressed}, dit is {ours}"),
            format!("the message is addressed to {addressed}, this is {ours}"),
        );
    }
    if let Some(sender) = &m.sender
        && !options.allowed_senders.is_empty()
        && !options.allowed_senders.contains(sender)
    {
        let location = "/PRMM_IN010043NL/sender/device/id/@extension";
        match &options.certificate {
            None => report.add(
                Rule::WrapperSender,
                location,
                format!("verzender {sender} is hier niet bekend"),
                format!("sender {sender} is not known here"),
            ),
            Some(identity) => {
                let mapped = options
                    .allowed_senders
                    .iter()
                    .map(ApplicationId::as_str)
                    .collect::<Vec<_>>()
                    .join(", ");
                report.add(
                    Rule::WrapperSender,
                    location,
                    format!(
                        "dit clientcertificaat ({identity}) mag niet verzenden als {sender}; \
                         het mag alleen verzenden als {mapped}"
                    ),
                    format!(
                        "this client certificate ({identity}) may not send as {sender}; it \
                         may send only as {mapped}"
                    ),
                );
            }
        }
    }
    let author_path =
        "/PRMM_IN010043NL/ControlActProcess/authorOrPerformer/participant/AssignedDevice";
    if m.author_present {
        match (&m.author_application, &m.sender) {
            (None, _) => report.add(
                Rule::WrapperAuthor,
                format!("{author_path}/id"),
                "de auteur heeft geen AORTA-applicatie-id",
                "the author has no AORTA application id",
            ),
            (Some(author), Some(sender)) if author != sender.as_str() => report.add(
                Rule::WrapperAuthor,
                format!("{author_path}/id/@extension"),
                format!("auteur-id {author} is niet gelijk aan het verzender-id {sender}"),
                format!("author id {author} differs from the sender id {sender}"),
            ),
            _ => {}
        }
        let Author { uzi, organization } = &m.author;
        if uzi.is_some() != organization.is_some() && !report.contains(Rule::AuthorUziUra) {
            report.add(
                Rule::AuthorUziUra,
                author_path,
                "een UZI-servercertificaatnummer en een URA-organisatienummer horen samen te gaan",
                "a UZI server certificate number and a URA organisation number go together",
            );
        }
    }
}

/// One vaccine type per lot number, duplicates and expired lots; builds the set (taking
/// the lots out of `m`) when the lots allow it.
pub fn check_lots(m: &mut DecodedMessage, report: &mut Report) -> Option<LotSet> {
    // Sorting by lot number (stable, so the first occurrence stays first) puts every
    // repeat right after the entry it repeats; the set is built from the same order.
    m.entries.sort_by(|a, b| a.lot.number.cmp(&b.lot.number));
    let mut conflict = false;
    let mut first_of_run = 0;
    for i in 0..m.entries.len() {
        let entry = &m.entries[i];
        let lot = &entry.lot;
        if !same(
            m.entries[first_of_run].lot.number.as_str(),
            lot.number.as_str(),
        ) {
            first_of_run = i;
        }
        if first_of_run == i {
            continue;
        }
        let first = &m.entries[first_of_run];
        let location = format!(
            "{}/instanceOfKind/productInstanceInstance/id/@extension",
            product_path(entry.product)
        );
        if first.lot.vaccine.code() != lot.vaccine.code() {
            conflict = true;
            report.add(
                        Rule::LotTwoVaccines,
                        location,
                        format!(
                            "partijnummer {} staat onder vaccinsoort {} (product {}) en {} (product {})",
                            lot.number, first.lot.vaccine.code(), first.product, lot.vaccine.code(), entry.product
                        ),
                        format!(
                            "lot number {} is listed under vaccine type {} (product {}) and {} (product {})",
                            lot.number, first.lot.vaccine.code(), first.product, lot.vaccine.code(), entry.product
                        ),
                    );
        } else {
            let differs = first.lot != *lot;
            report.add(
                Rule::LotDuplicate,
                location,
                format!(
                    "partijnummer {} staat dubbel (product {} en {}){}",
                    lot.number,
                    first.product,
                    entry.product,
                    if differs {
                        "; de gegevens verschillen, het eerste telt"
                    } else {
                        ""
                    }
                ),
                format!(
                    "lot number {} is listed twice (products {} and {}){}",
                    lot.number,
                    first.product,
                    entry.product,
                    if differs {
                        "; the details differ, the first counts"
                    } else {
                        ""
                    }
                ),
            );
        }
    }
    if let Some(created) = &m.created {
        let today = created.local().date();
        for entry in m.entries.iter().filter(|e| e.lot.is_expired_on(today)) {
            let expires = entry.lot.expires.map(|d| d.to_string()).unwrap_or_default();
            report.add(
                Rule::LotExpired,
                format!(
                    "{}/instanceOfKind/productInstanceInstance/expirationTime",
                    product_path(entry.product)
                ),
                format!("partij {} is al vervallen ({expires})", entry.lot.number),
                format!("lot {} has already expired ({expires})", entry.lot.number),
            );
        }
    }
    if conflict {
        return None;
    }
    let entries = std::mem::take(&mut m.entries);
    LotSet::new(entries.into_iter().map(|e| e.lot).collect()).ok()
}

/// The message, when every part of it could be read.
pub fn assemble(m: DecodedMessage, lots: Option<LotSet>) -> Option<LotMessage> {
    Some(LotMessage {
        id: m.id?,
        created: m.created?,
        sender: m.sender?,
        receiver: m.receiver?,
        author: m.author,
        period: m.period?,
        lots: lots.filter(|l| !l.is_empty())?,
    })
}
