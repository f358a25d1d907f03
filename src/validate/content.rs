//! The rules that compare decoded values: who may send to whom, the author, and the lots
//! (one vaccine type per lot number, duplicates, expired lots).

use super::{Issue, Options, Report, Rule};
use crate::ids::ApplicationId;
use crate::language::Language;
use crate::lot::LotSet;
use crate::lot::rules::{self, Field, Place};
use crate::message::{Author, LotMessage};
use crate::wire::decoded::{DecodedMessage, product_path};

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

/// The set rules ([`crate::lot::rules`]) for the message's lots, checked for the day of
/// its `creationTime`; builds the set (taking the lots out of `m`) when they allow it.
pub fn check_lots(m: &mut DecodedMessage, report: &mut Report) -> Option<LotSet> {
    let entries = std::mem::take(&mut m.entries)
        .into_iter()
        .map(|entry| (entry.lot, Product(entry.product)))
        .collect();
    let today = m.created.as_ref().map(|created| created.local().date());
    rules::check_set(entries, today, report)
}

/// A lot's place in a message: the 1-based position of its `product`.
struct Product(usize);

impl Place for Product {
    fn issue(&self, rule: Rule, field: Field, nl: &str, en: &str) -> Issue {
        let leaf = match field {
            Field::LotNumber => "id/@extension",
            Field::ExpiryDate => "expirationTime",
        };
        let location = format!(
            "{}/instanceOfKind/productInstanceInstance/{leaf}",
            product_path(self.0)
        );
        Issue::new(rule, location, nl, en)
    }

    fn label(&self, _: Language) -> String {
        format!("product {}", self.0)
    }
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
