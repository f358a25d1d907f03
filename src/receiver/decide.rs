//! The receiver's decision for one delivery, as a pure function of what the message
//! says and what the receiver already has: the steps of the pipeline after validation
//! (duplicate, ordering, shrink guard) and the answer that goes with each outcome.
//!
//! No I/O and no clock: the caller passes the time and what the store knows, and carries
//! out the decision (record, quarantine or apply, then answer).

use crate::config::ShrinkGuard;
use crate::ids::{ApplicationId, MessageId};
use crate::language::Language;
use crate::message::LotMessage;
use crate::timestamp::Timestamp;
use crate::validate::{self, Answer, Outcome, Report, Rule, Verdict};

/// What the receiver already knows that bears on a delivery.
#[derive(Debug, Clone, Copy)]
pub struct Known<'k> {
    /// The message id's earlier delivery: the SHA-256 of its bytes and the exact
    /// response sent then.
    pub previous: Option<(&'k [u8; 32], &'k str)>,
    /// The set in place: its message's creation time and its number of lots.
    pub current: Option<(&'k Timestamp, usize)>,
}

/// What to do with a delivery.
#[derive(Debug)]
pub enum Decision {
    /// The same message again (same id, same bytes): send the earlier response again,
    /// change nothing.
    Replay(String),
    /// Below the HL7 level: answer with a SOAP fault (HTTP 500), store nothing.
    Fault(Answer),
    /// Refused with CE or CR: store the answer (so a duplicate gets the same) and report.
    Refuse(Answer, Box<Outcome>),
    /// A much smaller set: hold it back for the administrators, answer CE.
    Quarantine(Answer, Box<LotMessage>, Box<Outcome>),
    /// Accepted: replace the set, then answer CA.
    Apply(Answer, Box<LotMessage>, Box<Outcome>),
}

/// How the receiver identifies itself in its answers.
#[derive(Debug, Clone)]
pub struct Answering<'a> {
    /// Our application id.
    pub us: &'a ApplicationId,
    /// The id the acknowledgement gets.
    pub ack_id: MessageId,
    /// Now, as the acknowledgement's creation time.
    pub now: Timestamp,
    /// The language of texts.
    pub language: Language,
}

/// Decides what happens to a validated delivery whose bytes hash to `sha256`.
pub fn decide(
    mut outcome: Outcome,
    sha256: &[u8; 32],
    known: Known<'_>,
    guard: &ShrinkGuard,
    answering: &Answering<'_>,
) -> Decision {
    let answer = |outcome: &Outcome| {
        validate::answer(
            outcome,
            answering.ack_id.clone(),
            answering.now.clone(),
            Some(answering.us),
            answering.language,
        )
    };
    if matches!(outcome.verdict(), Verdict::Fault | Verdict::Unusable) || outcome.reply_to.is_none()
    {
        return Decision::Fault(answer(&outcome));
    }
    if let Some((previous_sha, response)) = known.previous {
        if previous_sha == sha256 {
            return Decision::Replay(response.to_owned());
        }
        // The id was used for other bytes: whatever else is wrong, that comes first.
        let mut report = Report::new();
        report.add(
            Rule::MessageIdReused,
            "/PRMM_IN010043NL/id",
            "dit bericht-id is al gebruikt voor een ander bericht",
            "this message id was already used for another message",
        );
        outcome = Outcome {
            report,
            message: None,
            reply_to: outcome.reply_to,
        };
        return Decision::Refuse(answer(&outcome), Box::new(outcome));
    }
    let Some(message) = outcome.message.take() else {
        return Decision::Refuse(answer(&outcome), Box::new(outcome));
    };
    if let Some((current_created, current_len)) = known.current {
        if message.created < *current_created {
            outcome.report.add(
                Rule::MessageStale,
                "/PRMM_IN010043NL/creationTime/@value",
                format!(
                    "dit bericht ({}) is ouder dan de set die er al is ({current_created}); niet toegepast",
                    message.created
                ),
                format!(
                    "this message ({}) is older than the set in place ({current_created}); not applied",
                    message.created
                ),
            );
            return Decision::Refuse(answer(&outcome), Box::new(outcome));
        }
        if shrinks_too_much(message.lots.len(), current_len, guard) {
            outcome.report.add(
                Rule::SetQuarantined,
                "/PRMM_IN010043NL/ControlActProcess/subject/ProductList",
                format!(
                    "de nieuwe set heeft {} partijen, de huidige {current_len}; apart gezet tot een beheerder hem beoordeelt",
                    message.lots.len()
                ),
                format!(
                    "the new set has {} lots, the current one {current_len}; held back until an administrator reviews it",
                    message.lots.len()
                ),
            );
            let answer = answer(&outcome);
            return Decision::Quarantine(answer, Box::new(message), Box::new(outcome));
        }
    }
    let answer = answer(&outcome);
    Decision::Apply(answer, Box::new(message), Box::new(outcome))
}

/// Whether a set of `new` lots replacing one of `current` lots must be held back.
pub fn shrinks_too_much(new: usize, current: usize, guard: &ShrinkGuard) -> bool {
    current >= guard.min_lots.max(1) && (new as f64) < guard.fraction * current as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::{Options, check};
    use crate::wire::soap;
    use crate::{message::AckType, sample};

    const GUARD: ShrinkGuard = ShrinkGuard {
        fraction: 0.5,
        min_lots: 10,
    };

    fn answering(us: &ApplicationId) -> Answering<'_> {
        Answering {
            us,
            ack_id: MessageId::parse("2.16.840.1.113883.2.4.6.6.99999002.2", "ACK-1").unwrap(),
            now: Timestamp::parse("20260601020001").unwrap(),
            language: Language::Nl,
        }
    }

    fn ack_type(answer: &Answer) -> Option<AckType> {
        match answer {
            Answer::Ack(ack) => Some(ack.type_code),
            Answer::Fault { .. } => None,
        }
    }

    fn run(bytes: &[u8], known: Known<'_>) -> Decision {
        let us = ApplicationId::parse(sample::RECEIVER).unwrap();
        let outcome = check(bytes, &Options::default());
        decide(outcome, &[7; 32], known, &GUARD, &answering(&us))
    }

    #[test]
    fn each_step_of_the_pipeline() {
        let good = soap::message_envelope(&sample::message(20));
        let nothing = Known {
            previous: None,
            current: None,
        };
        assert!(
            matches!(run(good.as_bytes(), nothing), Decision::Apply(a, ..) if ack_type(&a) == Some(AckType::CA))
        );
        assert!(matches!(run(b"junk", nothing), Decision::Fault(_)));
        let replay = Known {
            previous: Some((&[7; 32], "earlier")),
            current: None,
        };
        assert!(matches!(run(good.as_bytes(), replay), Decision::Replay(r) if r == "earlier"));
        let reused = Known {
            previous: Some((&[8; 32], "earlier")),
            current: None,
        };
        match run(good.as_bytes(), reused) {
            Decision::Refuse(a, o) => {
                assert_eq!(ack_type(&a), Some(AckType::CE));
                assert!(o.report.contains(Rule::MessageIdReused));
            }
            other => panic!("{other:?}"),
        }
        let newer = Timestamp::parse("20270101000000").unwrap();
        match run(
            good.as_bytes(),
            Known {
                previous: None,
                current: Some((&newer, 20)),
            },
        ) {
            Decision::Refuse(_, o) => assert!(o.report.contains(Rule::MessageStale)),
            other => panic!("{other:?}"),
        }
        let older = Timestamp::parse("20250101000000").unwrap();
        match run(
            good.as_bytes(),
            Known {
                previous: None,
                current: Some((&older, 41)),
            },
        ) {
            Decision::Quarantine(a, m, o) => {
                assert_eq!(ack_type(&a), Some(AckType::CE));
                assert_eq!(m.lots.len(), 20);
                assert!(o.report.contains(Rule::SetQuarantined));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            run(
                good.as_bytes(),
                Known {
                    previous: None,
                    current: Some((&older, 40))
                }
            ),
            Decision::Apply(..)
        ));
        let bad = good.replacen("NICTIZEd2005-Okt", "X", 1);
        assert!(
            matches!(run(bad.as_bytes(), nothing), Decision::Refuse(a, _) if ack_type(&a) == Some(AckType::CR))
        );
    }

    #[test]
    fn the_shrink_guard() {
        assert!(shrinks_too_much(4, 10, &GUARD));
        assert!(!shrinks_too_much(5, 10, &GUARD));
        assert!(
            !shrinks_too_much(0, 9, &GUARD),
            "small sets are not guarded"
        );
        let off = ShrinkGuard {
            fraction: 0.0,
            min_lots: 10,
        };
        assert!(!shrinks_too_much(0, 1000, &off));
    }
}
