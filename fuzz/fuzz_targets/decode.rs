//! Fuzz target: validation of arbitrary bytes never panics, keeps its report bounded, and
//! an accepted message re-encodes to bytes that decode to the same message.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lotgate::validate::{self, MAX_ISSUES, Options, Verdict};
use lotgate::wire::{self, soap};

fuzz_target!(|data: &[u8]| {
    for allow_bare in [false, true] {
        let options = Options {
            allow_bare,
            ..Default::default()
        };
        let outcome = validate::check(data, &options);
        assert!(outcome.report.issues().len() <= MAX_ISSUES);
        let Some(message) = &outcome.message else {
            continue;
        };
        assert_eq!(outcome.verdict(), Verdict::Accept);
        // Both encodings must read back as the same message.
        let bare_options = Options {
            allow_bare: true,
            ..Default::default()
        };
        for encoded in [
            soap::message_envelope(message),
            wire::encode_message(message),
        ] {
            let again = validate::check(encoded.as_bytes(), &bare_options);
            assert_eq!(
                again.message.as_ref(),
                Some(message),
                "re-encoded message reads back differently: {:?}",
                again.report.issues()
            );
        }
    }
});
