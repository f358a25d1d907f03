//! Deterministic sample messages: the same input every time, for tests, benchmarks and
//! load scripts (`lotgate` itself never sends made-up lots).

use crate::ids::{ApplicationId, MessageId};
use crate::lot::{Lot, LotNumber, LotSet};
use crate::message::{Author, LotMessage, Organization, Period};
use crate::timestamp::Timestamp;
use crate::vaccine::{VaccineType, W0422};
use chrono::NaiveDate;

/// The sender application id used in samples (as in the reference example).
pub const SENDER: &str = "99999001";
/// The receiver application id used in samples.
pub const RECEIVER: &str = "99999002";

/// `n` distinct lots: numbers `LG000000`, `LG000001`, …, vaccine types cycling through
/// W0422, every third without an expiry date.
pub fn lot_set(n: usize) -> LotSet {
    let lots = (0..n)
        .map(|i| {
            let (code, _) = W0422[i % W0422.len()];
            Lot {
                number: LotNumber::parse(&format!("LG{i:06}")).expect("sample values are valid"),
                vaccine: VaccineType::known(code).expect("sample values are valid"),
                expires: (i % 3 != 0).then(|| {
                    NaiveDate::from_ymd_opt(2027, 1 + (i % 12) as u32, 1 + (i % 28) as u32)
                        .unwrap_or_default()
                }),
            }
        })
        .collect();
    LotSet::new(lots).unwrap_or_default()
}

/// A complete message from [`SENDER`] to [`RECEIVER`] carrying `lots`, created at
/// 2026-06-01 02:00:00, with message id extension `extension`.
pub fn message_with(lots: LotSet, extension: &str) -> LotMessage {
    let ts = |s: &str| Timestamp::parse(s).expect("sample values are valid");
    LotMessage {
        id: MessageId::parse("2.16.840.1.113883.2.4.6.6.99999001.1", extension)
            .expect("sample values are valid"),
        created: ts("20260601020000"),
        sender: ApplicationId::parse(SENDER).expect("sample values are valid"),
        receiver: ApplicationId::parse(RECEIVER).expect("sample values are valid"),
        author: Author {
            uzi: Some("900099999".to_owned()),
            organization: Some(Organization {
                ura: "00009999".to_owned(),
                name: Some("Voorbeeldorganisatie Praeventis".to_owned()),
            }),
        },
        period: Period {
            low: ts("20260601000000"),
            high: ts("20260601235959"),
        },
        lots,
    }
}

/// A complete message with `n` sample lots.
pub fn message(n: usize) -> LotMessage {
    message_with(lot_set(n), &format!("SAMPLE-{n}"))
}

/// `len` random-looking bytes (xorshift), the same for the same `seed` and different for
/// every other: bodies for tests of storing exact bytes.
pub fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}
