//! Fuzz target: the answer to any input is a well-formed SOAP envelope holding either a
//! fault or an acknowledgement that reads back as itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lotgate::ids::{ApplicationId, MessageId};
use lotgate::timestamp::Timestamp;
use lotgate::language::Language;
use lotgate::validate::{self, Answer, MAX_ISSUES, Options, Report};
use lotgate::wire;
use lotgate::xml::{Document, Limits};

fuzz_target!(|data: &[u8]| {
    let (Ok(ack_id), Ok(now), Ok(us)) = (
        MessageId::parse("2.16.840.1.113883.2.4.6.6.99999002.2", "ACK-1"),
        Timestamp::parse("20260601020001"),
        ApplicationId::parse("99999002"),
    ) else {
        unreachable!("the fixed ids are valid");
    };
    for allow_bare in [false, true] {
        let options = Options {
            allow_bare,
            ..Default::default()
        };
        let outcome = validate::check(data, &options);
        for (us, language) in [(None, Language::Nl), (Some(&us), Language::En)] {
            let answer = validate::answer(&outcome, ack_id.clone(), now.clone(), us, language);
            let xml = answer.to_xml();
            let doc = match Document::parse(xml.as_bytes(), &Limits::default()) {
                Ok(doc) => doc,
                Err(e) => panic!("answer is not well-formed: {e}\n{xml}"),
            };
            let first = doc
                .root()
                .child("Body")
                .and_then(|body| body.children().next());
            let Some(first) = first else {
                panic!("answer has no element in its soap:Body:\n{xml}");
            };
            match &answer {
                Answer::Ack(ack) => {
                    assert!(ack.details.len() <= MAX_ISSUES);
                    assert_eq!(first.name(), wire::ACK_INTERACTION);
                    let mut report = Report::new();
                    let read = wire::decode_acknowledgement(first, &mut report);
                    assert_eq!(read.as_ref(), Some(ack), "{:?}", report.issues());
                }
                Answer::Fault { .. } => assert_eq!(first.name(), "Fault"),
            }
        }
    }
});
