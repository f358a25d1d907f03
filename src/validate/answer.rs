//! From a report to the answer the receiver gives: an acknowledgement (CA, CE, CR) or a
//! SOAP fault.

use super::{ACK_DETAIL_CODE_SYSTEM, Level, Outcome, Verdict};
use crate::ids::{ApplicationId, MessageId};
use crate::language::Language;
use crate::message::{AckDetail, AckType, Acknowledgement};
use crate::timestamp::Timestamp;
use crate::wire::soap::{self, FaultCode};

/// What goes back to the sender.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// An acknowledgement in the HTTP 200 response.
    Ack(Acknowledgement),
    /// A SOAP fault in an HTTP 500 response.
    Fault {
        /// Client or server.
        code: FaultCode,
        /// `faultstring`: what is wrong, without internal details.
        reason: String,
        /// The language of `reason`.
        language: Language,
    },
}

impl Answer {
    /// The SOAP envelope to send.
    pub fn to_xml(&self) -> String {
        match self {
            Answer::Ack(ack) => soap::acknowledgement_envelope(ack),
            Answer::Fault {
                code,
                reason,
                language,
            } => soap::fault_envelope(*code, reason, language.code()),
        }
    }
}

/// The answer to a validated input. `ack_id` and `now` identify the acknowledgement;
/// `us` is our application id (default: the receiver the message was addressed to).
pub fn answer(
    outcome: &Outcome,
    ack_id: MessageId,
    now: Timestamp,
    us: Option<&ApplicationId>,
    language: Language,
) -> Answer {
    let verdict = outcome.verdict();
    let type_code = match verdict {
        Verdict::Accept => AckType::CA,
        Verdict::CommitError => AckType::CE,
        Verdict::Reject => AckType::CR,
        Verdict::Fault | Verdict::Unusable => return fault(outcome, language),
    };
    let Some(reply_to) = &outcome.reply_to else {
        return fault(outcome, language);
    };
    let Some(sender) = us.or(reply_to.receiver.as_ref()) else {
        return fault(outcome, language);
    };
    let level = match type_code {
        AckType::CA => None,
        AckType::CE => Some(Level::Error),
        AckType::CR => Some(Level::Reject),
    };
    let details = level
        .map(|level| {
            outcome
                .report
                .at_level(level)
                .map(|issue| AckDetail {
                    code: issue.rule.hl7().code.to_owned(),
                    code_system: ACK_DETAIL_CODE_SYSTEM.to_owned(),
                    display_name: Some(issue.rule.hl7().display_name.to_owned()),
                    text: Some(format!("[{}] {}", issue.rule.id(), issue.text(language))),
                    location: Some(issue.location.clone()),
                })
                .collect()
        })
        .unwrap_or_default();
    Answer::Ack(Acknowledgement {
        id: ack_id,
        created: now,
        type_code,
        details,
        target: reply_to.message.clone(),
        receiver: reply_to.sender.clone(),
        sender: sender.clone(),
    })
}

fn fault(outcome: &Outcome, language: Language) -> Answer {
    let first = outcome
        .report
        .issues()
        .iter()
        .filter(|i| i.level() >= Level::Fault)
        .chain(outcome.report.issues())
        .next();
    let reason = match first {
        Some(issue) => format!("[{}] {}", issue.rule.id(), issue.text(language)),
        None => match language {
            Language::Nl => "bericht kan niet worden beantwoord".to_owned(),
            Language::En => "message cannot be answered".to_owned(),
        },
    };
    Answer::Fault {
        code: FaultCode::Client,
        reason,
        language,
    }
}
