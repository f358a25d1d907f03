//! The sequence of `lotgate verify`: reachability, TLS, then the exchanges, each judged
//! by the pure steps of [`super`]. In connect mode the current set from the source is
//! delivered again at the end, whatever happened before.

use super::probe::{self, Endpoint, Exchange};
use super::{Finding, Mode, Reading};
use crate::config::{Destination, SenderConfig};
use crate::ids::{ApplicationId, MessageId};
use crate::language::Language;
use crate::lot::{Lot, LotNumber, LotSet};
use crate::message::AckType;
use crate::sender::deliver;
use crate::timestamp::Timestamp;
use crate::tls::probe::TlsProbe;
use crate::vaccine::{CodeList, Known, VaccineType};
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use chrono_tz::Tz;
use std::collections::BTreeMap;
use std::time::Duration;

/// The delivery number the message ids of verify's messages carry (a real delivery
/// carries its own, from 1).
const VERIFY_DELIVERY: u64 = 0;

/// The prefix of the generated test lots' numbers.
pub const TEST_LOT_PREFIX: &str = "LOTGATE-VERIFY-";

/// The last message the sender delivered to the destination and the acknowledgement it
/// got, byte for byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    /// The message id, `root/extension`.
    pub message_id: String,
    /// The message.
    pub message: Vec<u8>,
    /// The acknowledgement.
    pub answer: Vec<u8>,
}

/// What a run works with.
#[derive(Debug, Clone)]
pub struct Plan<'a> {
    /// Our sender's configuration.
    pub sender: &'a SenderConfig,
    /// The receiver under test.
    pub destination: &'a Destination,
    /// `gateway.time_zone`: creation times are local.
    pub zone: Tz,
    /// `gateway.code_list`: the vaccine types of the test set.
    pub codes: &'a CodeList,
    /// The language of the evidence.
    pub language: Language,
    /// Which checks run.
    pub mode: Mode,
    /// The current set from the source, or why it could not be read. Connect mode needs
    /// it (it is delivered again at the end).
    pub source: Result<LotSet, String>,
    /// The last message delivered to the destination, or why there is none.
    pub last: Result<Delivered, String>,
}

impl Plan<'_> {
    /// How long an exchange waits for its answer: three times `attempt_timeout` (at
    /// least 10 s), so that an answer later than the sender would wait is still seen, and
    /// judged.
    pub fn wait(&self) -> Duration {
        (self.sender.schedule.attempt_timeout * 3).max(Duration::from_secs(10))
    }
}

/// What a run found: a finding per check it ran (by id), every exchange with the check
/// it belongs to, and what the receiver holds at the end (connect mode).
#[derive(Debug, Default)]
pub struct Found {
    /// The findings, by check id.
    pub findings: BTreeMap<&'static str, Finding>,
    /// Every HTTP exchange, in order, with its check's id.
    pub exchanges: Vec<(&'static str, Exchange)>,
    /// What the receiver was left with.
    pub data_left: Option<String>,
}

/// Runs the checks of `plan.mode` against the destination. Never fails: what cannot be
/// done is a failed or skipped check. The checks not reached have no finding.
pub async fn run(plan: &Plan<'_>, client: &reqwest::Client) -> Found {
    let Some(endpoint) = Endpoint::parse(&plan.destination.url) else {
        let mut found = Found::default();
        found
            .findings
            .insert("reach.dns", Finding::fail(plan.destination.url.clone()));
        return found;
    };
    let mut run = Run {
        plan,
        client,
        endpoint,
        found: Found::default(),
        last_created: None,
        acks_seen: Vec::new(),
    };
    if run.reach().await && run.tls().await {
        run.exchanges().await;
    }
    run.found
}

struct Run<'p, 'a> {
    plan: &'p Plan<'a>,
    client: &'p reqwest::Client,
    /// The destination's URL, read.
    endpoint: Endpoint,
    found: Found,
    /// The creation time of the newest message built: the next is later.
    last_created: Option<Timestamp>,
    /// The ids of the acknowledgements seen so far, in order.
    acks_seen: Vec<MessageId>,
}

impl Run<'_, '_> {
    fn l(&self, nl: impl Into<String>, en: impl Into<String>) -> String {
        self.plan.language.pick(nl.into(), en.into())
    }

    fn put(&mut self, id: &'static str, finding: Finding) {
        debug_assert!(super::check_of(id).is_some(), "{id} is in the catalogue");
        self.found.findings.insert(id, finding);
    }

    /// DNS and TCP: whether the endpoint can be reached.
    async fn reach(&mut self) -> bool {
        let endpoint = &self.endpoint.clone();
        let timeout = self.plan.sender.schedule.attempt_timeout;
        let addresses = if let Ok(ip) = endpoint.host.parse::<std::net::IpAddr>() {
            let evidence = self.l(
                format!("{ip} is een IP-adres: er valt niets op te zoeken"),
                format!("{ip} is an IP address: there is nothing to look up"),
            );
            self.put("reach.dns", Finding::skip(evidence));
            vec![std::net::SocketAddr::new(ip, endpoint.port)]
        } else {
            match probe::resolve(endpoint, timeout).await {
                Ok((addresses, took)) => {
                    let list: Vec<String> = addresses.iter().map(|a| a.ip().to_string()).collect();
                    let evidence = format!(
                        "{} → {} ({} ms)",
                        endpoint.host,
                        list.join(", "),
                        took.as_millis()
                    );
                    self.put("reach.dns", Finding::pass(evidence));
                    addresses
                }
                Err(reason) => {
                    let evidence = format!("{}: {reason}", endpoint.host);
                    self.put("reach.dns", Finding::fail(evidence));
                    return false;
                }
            }
        };
        let mut reasons = Vec::new();
        for addr in addresses {
            match probe::connect(addr, timeout).await {
                Ok(took) => {
                    let evidence = self.l(
                        format!("verbonden met {addr} in {} ms", took.as_millis()),
                        format!("connected to {addr} in {} ms", took.as_millis()),
                    );
                    self.put("reach.tcp", Finding::pass(evidence));
                    return true;
                }
                Err(reason) => reasons.push(format!("{addr}: {reason}")),
            }
        }
        self.put("reach.tcp", Finding::fail(reasons.join("; ")));
        false
    }

    /// The TLS checks (for `https://`): whether the exchanges can go ahead.
    async fn tls(&mut self) -> bool {
        let endpoint = &self.endpoint.clone();
        const TLS: [&str; 5] = [
            "tls.handshake",
            "tls.chain",
            "tls.hostname",
            "tls.expiry",
            "tls.client-certificate",
        ];
        if !endpoint.https {
            let reason = self.l(
                "het eindpunt gebruikt http://: geen TLS",
                "the endpoint uses http://: no TLS",
            );
            for id in TLS {
                self.put(id, Finding::skip(reason.clone()));
            }
            return true;
        }
        let Some(tls) = &self.plan.sender.tls else {
            let reason = self.l(
                "er is geen [sender.tls]: geen clientcertificaat en geen vertrouwde CA's",
                "there is no [sender.tls]: no client certificate and no roots",
            );
            self.put("tls.handshake", Finding::fail(reason.clone()));
            return false;
        };
        let config = match crate::tls::client_config(tls) {
            Ok((config, _)) => std::sync::Arc::new(config),
            Err(e) => {
                self.put("tls.handshake", Finding::fail(e.to_string()));
                return false;
            }
        };
        let Ok(addr) = probe::resolve(endpoint, self.plan.sender.schedule.attempt_timeout)
            .await
            .map(|(addresses, _)| addresses[0])
        else {
            self.put("tls.handshake", Finding::fail("the host cannot be found"));
            return false;
        };
        let timeout = self.plan.wait();
        let language = self.plan.language;
        match crate::tls::probe::probe(addr, &endpoint.host, &endpoint.path, config, timeout).await
        {
            TlsProbe::Connected {
                protocol,
                suite,
                peer,
                answer,
            } => {
                self.put(
                    "tls.handshake",
                    Finding::pass(format!("{protocol}, {suite}")),
                );
                let host = endpoint.host.clone();
                match peer {
                    Some(peer) => {
                        let chain = self.l(
                            format!("{} (uitgegeven door {})", peer.subject, peer.issuer),
                            format!("{} (issued by {})", peer.subject, peer.issuer),
                        );
                        self.put("tls.chain", Finding::pass(chain));
                        let named = self.l(
                            format!("{host} staat in het certificaat"),
                            format!("{host} is named in the certificate"),
                        );
                        self.put("tls.hostname", Finding::pass(named));
                        self.put(
                            "tls.expiry",
                            super::expiry(peer.not_after, Utc::now(), language),
                        );
                    }
                    None => {
                        let reason = self.l(
                            "de ontvanger toonde geen leesbaar certificaat",
                            "the receiver showed no readable certificate",
                        );
                        self.put("tls.chain", Finding::fail(reason));
                    }
                }
                match answer {
                    Ok(line) => {
                        let evidence = self.l(
                            format!("de ontvanger antwoordde over de verbinding: {line}"),
                            format!("the receiver answered over the connection: {line}"),
                        );
                        self.put("tls.client-certificate", Finding::pass(evidence));
                        true
                    }
                    Err(reason) => {
                        self.put("tls.client-certificate", Finding::fail(reason));
                        false
                    }
                }
            }
            TlsProbe::Chain(reason) => {
                self.put("tls.handshake", Finding::fail(reason.clone()));
                self.put("tls.chain", Finding::fail(reason));
                false
            }
            TlsProbe::Hostname(reason) => {
                let chained = self.l(
                    "het certificaat leidt naar onze CA's; de naam klopt niet",
                    "the certificate chains to our roots; the name does not match",
                );
                self.put("tls.handshake", Finding::fail(reason.clone()));
                self.put("tls.chain", Finding::pass(chained));
                self.put("tls.hostname", Finding::fail(reason));
                false
            }
            TlsProbe::Refused(reason) => {
                let verified = self.l(
                    "het certificaat van de ontvanger is gecontroleerd voordat hij weigerde",
                    "the receiver's certificate was verified before it refused",
                );
                self.put("tls.handshake", Finding::fail(reason.clone()));
                self.put("tls.chain", Finding::pass(verified.clone()));
                self.put("tls.hostname", Finding::pass(verified));
                self.put("tls.client-certificate", Finding::fail(reason));
                false
            }
            TlsProbe::Failed(reason) => {
                self.put("tls.handshake", Finding::fail(reason));
                false
            }
        }
    }

    /// Posts `bytes` for check `id`: the answer's status and reading, or `None` (and a
    /// failure of `id`) when none came. The first answer also tells the clock skew.
    async fn send(&mut self, id: &'static str, bytes: Vec<u8>) -> Option<(u16, Reading, Vec<u8>)> {
        let language = self.plan.language;
        let exchange = probe::post(
            self.client,
            &self.plan.destination.url,
            &self.endpoint,
            bytes,
            self.plan.wait(),
        )
        .await;
        let result = match &exchange.answer {
            Ok(answer) => {
                if !self.found.findings.contains_key("clock.skew") {
                    let skew = super::skew(
                        answer.date.as_deref(),
                        exchange.sent_at,
                        answer.at,
                        language,
                    );
                    self.put("clock.skew", skew);
                }
                let reading = super::read(&answer.body, language);
                if let Reading::Ack(ack) = &reading {
                    self.acks_seen.push(ack.id.clone());
                }
                Some((answer.status, reading, answer.body.clone()))
            }
            Err(reason) => {
                self.put(id, Finding::fail(reason.get(language).to_owned()));
                None
            }
        };
        self.found.exchanges.push((id, exchange));
        result
    }

    /// Builds a message to `destination` carrying `lots`, created now (later than the
    /// last one built), or at `at` when given; its id, creation time and bytes.
    fn build(
        &mut self,
        destination: &Destination,
        lots: LotSet,
        at: Option<DateTime<Utc>>,
    ) -> (crate::store::BuiltMessage, Vec<u8>) {
        let plan = self.plan;
        let (built, bytes) = match at {
            Some(at) => deliver::build(
                plan.sender,
                destination,
                plan.zone,
                lots,
                VERIFY_DELIVERY,
                at,
                None,
            ),
            None => {
                let built = deliver::build(
                    plan.sender,
                    destination,
                    plan.zone,
                    lots,
                    VERIFY_DELIVERY,
                    Utc::now(),
                    self.last_created.as_ref(),
                );
                self.last_created = Some(built.0.created.clone());
                built
            }
        };
        (built, bytes)
    }

    async fn exchanges(&mut self) {
        let plan = self.plan;
        let language = plan.language;
        // The resend of the last message delivered: it changes nothing (the receiver
        // answers from its store).
        match plan.last.clone() {
            Ok(last) => {
                if let Some((_, reading, body)) = self.send("duplicate.stored", last.message).await
                {
                    let finding = if body == last.answer {
                        Finding::pass(self.l(
                            format!(
                                "{} ({}): byte voor byte de opgeslagen bevestiging",
                                reading.describe(language),
                                last.message_id
                            ),
                            format!(
                                "{} ({}): byte for byte the stored acknowledgement",
                                reading.describe(language),
                                last.message_id
                            ),
                        ))
                    } else {
                        Finding::fail(self.l(
                            format!(
                                "{} ({}): wijkt af van de opgeslagen bevestiging",
                                reading.describe(language),
                                last.message_id
                            ),
                            format!(
                                "{} ({}): differs from the stored acknowledgement",
                                reading.describe(language),
                                last.message_id
                            ),
                        ))
                    };
                    self.put("duplicate.stored", finding);
                }
            }
            Err(reason) => self.put("duplicate.stored", Finding::skip(reason)),
        }

        let malformed = MALFORMED.as_bytes().to_vec();
        if let Some((status, reading, _)) = self.send("input.malformed", malformed).await {
            self.put(
                "input.malformed",
                super::malformed(status, &reading, language),
            );
        }

        match plan.source.clone() {
            Ok(source) => {
                let other = Destination {
                    application_id: other_receiver(&plan.destination.application_id),
                    ..plan.destination.clone()
                };
                let (_, bytes) = self.build(&other, source, None);
                if let Some((_, reading, _)) = self.send("addressing.other-receiver", bytes).await {
                    self.put(
                        "addressing.other-receiver",
                        super::not_ours(&reading, language),
                    );
                }
            }
            Err(reason) => {
                let reason = self.l(
                    format!("de bron is niet te lezen ({reason}); een onterecht aanvaard bericht moet de echte set dragen"),
                    format!("the source cannot be read ({reason}); a message wrongly accepted must carry the real set"),
                );
                self.put("addressing.other-receiver", Finding::skip(reason));
            }
        }

        if plan.mode == Mode::Connect {
            self.connect_checks().await;
        }
    }

    /// The checks that deliver test sets, then the source set again.
    async fn connect_checks(&mut self) {
        let plan = self.plan;
        let language = plan.language;
        let Ok(source) = plan.source.clone() else {
            return;
        };
        let today = Utc::now().with_timezone(&plan.zone).date_naive();
        let test = test_set(source.len().max(1), plan.codes, today);
        if test.is_empty() {
            let reason = self.l(
                "de codelijst heeft vandaag geen geldige vaccinsoort: er is geen testset te maken",
                "the code list has no vaccine type valid today: no test set can be made",
            );
            for check in super::CHECKS.iter().filter(|c| !c.safe) {
                self.put(check.id, Finding::skip(reason.clone()));
            }
            return;
        }

        // A valid delivery of the test set.
        let (built, bytes) = self.build(plan.destination, test.clone(), None);
        let first = self.send("delivery.accepted", bytes.clone()).await;
        let elapsed = self
            .found
            .exchanges
            .last()
            .and_then(|(_, e)| e.answer.as_ref().ok())
            .map(|a| a.elapsed);
        if let Some((_, reading, _)) = &first {
            let seen = reading.describe(language);
            let accepted = if reading.ack_type() == Some(AckType::CA) {
                let lots = self.l("testpartijen", "test lots");
                Finding::pass(format!("{seen} ({} {lots})", test.len()))
            } else {
                Finding::fail(seen)
            };
            self.put("delivery.accepted", accepted);
        }
        let ack = match &first {
            Some((_, Reading::Ack(ack), _)) => Some(ack),
            _ => None,
        };
        // The answer's own id was recorded as seen by `send`: earlier ones are the others.
        let earlier = &self.acks_seen[..self.acks_seen.len().saturating_sub(1)];
        let parties = (
            &plan.sender.application_id,
            &plan.destination.application_id,
        );
        for (id, finding) in super::acknowledgement(ack, &built.id, parties, earlier, language) {
            self.put(id, finding);
        }
        let limit = plan.sender.schedule.attempt_timeout;
        let timing = match elapsed {
            Some(took) if took <= limit => Finding::pass(format!(
                "{} ms; attempt_timeout {}",
                took.as_millis(),
                humantime::format_duration(limit)
            )),
            Some(took) => Finding::fail(self.l(
                format!(
                    "{} ms, later dan attempt_timeout {}: de afzender zou het antwoord niet afwachten",
                    took.as_millis(),
                    humantime::format_duration(limit)
                ),
                format!(
                    "{} ms, later than attempt_timeout {}: the sender would not wait for it",
                    took.as_millis(),
                    humantime::format_duration(limit)
                ),
            )),
            None => Finding::fail(self.l("geen antwoord", "no answer")),
        };
        self.put("delivery.answer-time", timing);

        // The identical bytes again.
        match &first {
            Some((_, first_reading, first_body)) => {
                let (first_reading, first_body) = (first_reading.clone(), first_body.clone());
                if let Some((_, reading, body)) =
                    self.send("duplicate.identical", bytes.clone()).await
                {
                    let finding = if body == first_body {
                        Finding::pass(self.l(
                            format!(
                                "{}: byte voor byte het eerste antwoord",
                                reading.describe(language)
                            ),
                            format!(
                                "{}: byte for byte the first answer",
                                reading.describe(language)
                            ),
                        ))
                    } else {
                        let ids = match (&first_reading, &reading) {
                            (Reading::Ack(a), Reading::Ack(b)) if a.id != b.id => self.l(
                                format!("; een nieuwe bevestiging {} in plaats van {}", b.id, a.id),
                                format!("; a fresh acknowledgement {} instead of {}", b.id, a.id),
                            ),
                            _ => String::new(),
                        };
                        Finding::fail(self.l(
                            format!(
                                "{}: wijkt af van het eerste antwoord{ids}",
                                reading.describe(language)
                            ),
                            format!(
                                "{}: differs from the first answer{ids}",
                                reading.describe(language)
                            ),
                        ))
                    };
                    self.put("duplicate.identical", finding);
                }
            }
            None => {
                let reason = self.l(
                    "de eerste levering kreeg geen antwoord",
                    "the first delivery got no answer",
                );
                self.put("duplicate.identical", Finding::skip(reason));
            }
        }

        // The same message id with other bytes: one lot left out.
        let changed = without_last_lot(&bytes);
        if let Some((_, reading, _)) = self.send("duplicate.changed", changed).await {
            self.put("duplicate.changed", super::rejected_ce(&reading, language));
        }

        // An older creation time.
        let an_hour_before = Utc::now() - TimeDelta::hours(1);
        let (_, older) = self.build(plan.destination, test.clone(), Some(an_hour_before));
        if let Some((_, reading, _)) = self.send("order.older", older).await {
            self.put("order.older", super::rejected_ce(&reading, language));
        }

        // A blank lot number, and a lot number under two vaccine types.
        let (_, valid) = self.build(plan.destination, test.clone(), None);
        let blank = blank_first_lot(&valid, &test);
        if let Some((_, reading, _)) = self.send("content.blank-lot", blank).await {
            self.put(
                "content.blank-lot",
                super::one_detail_rejection(&reading, language),
            );
        }
        let (_, valid) = self.build(plan.destination, test.clone(), None);
        match self.first_lot_twice(&valid, &test, today) {
            Some(twice) => {
                if let Some((_, reading, _)) = self.send("content.two-vaccines", twice).await {
                    self.put(
                        "content.two-vaccines",
                        super::one_detail_rejection(&reading, language),
                    );
                }
            }
            None => {
                let reason = self.l(
                    "de codelijst heeft vandaag maar één geldige vaccinsoort",
                    "the code list has only one vaccine type valid today",
                );
                self.put("content.two-vaccines", Finding::skip(reason));
            }
        }

        // The current set from the source again.
        let lots = source.len();
        let (built, bytes) = self.build(plan.destination, source, None);
        if let Some((_, reading, _)) = self.send("restore.source-set", bytes).await {
            if reading.ack_type() == Some(AckType::CA) {
                let left = self.l(
                    format!(
                        "de ontvanger houdt weer de huidige set uit de bron: {lots} partijnummers, bericht {}",
                        built.id
                    ),
                    format!(
                        "the receiver holds the current set from the source again: {lots} lot numbers, message {}",
                        built.id
                    ),
                );
                self.put(
                    "restore.source-set",
                    Finding::pass(format!("{}; {left}", reading.describe(language))),
                );
                self.found.data_left = Some(left);
            } else {
                self.put(
                    "restore.source-set",
                    Finding::fail(reading.describe(language)),
                );
            }
        }
        self.let_time_catch_up().await;
        if self.found.data_left.is_none() {
            let name = &plan.destination.name;
            self.found.data_left = Some(self.l(
                format!(
                    "de ontvanger kan nog een testset houden: lever de echte set af met `lotgate send-now --destination {name}`"
                ),
                format!(
                    "the receiver may still hold a test set: deliver the real set with `lotgate send-now --destination {name}`"
                ),
            ));
        }
    }

    /// Waits until the local time is past the creation time of the last message built
    /// (each was at least a second after the one before, so the last can be a few
    /// seconds ahead): the sender's next real message, created at the time it is built,
    /// is then newer than the set left at the receiver.
    async fn let_time_catch_up(&self) {
        let Some(last) = &self.last_created else {
            return;
        };
        let now = Utc::now().with_timezone(&self.plan.zone).naive_local();
        if let Ok(ahead) = (last.local() - now).to_std() {
            tokio::time::sleep(ahead + Duration::from_secs(1)).await;
        }
    }

    /// `valid` with its first lot a second time, under another vaccine type valid
    /// `today`; `None` when the code list has no other.
    fn first_lot_twice(&self, valid: &[u8], test: &LotSet, today: NaiveDate) -> Option<Vec<u8>> {
        let codes = self.plan.codes;
        let first = test.lots().first()?;
        let other = codes
            .entries()
            .iter()
            .find(|e| {
                e.code != first.vaccine.code()
                    && matches!(codes.on(e.code, Some(today)), Known::Valid(_))
            })
            .map(|e| VaccineType::new(e.code, &e.name))?;
        let twin = Lot {
            vaccine: other,
            ..first.clone()
        };
        let (_, one) = deliver::build(
            self.plan.sender,
            self.plan.destination,
            self.plan.zone,
            LotSet::new(vec![twin]).ok()?,
            VERIFY_DELIVERY,
            Utc::now(),
            None,
        );
        let one = String::from_utf8_lossy(&one).into_owned();
        let line = product_lines(&one).next()?;
        let text = String::from_utf8_lossy(valid).into_owned();
        let first_line = product_lines(&text).next()?;
        let at = text.find(first_line)? + first_line.len();
        Some(format!("{}\n{line}{}", &text[..at], &text[at..]).into_bytes())
    }
}

/// Malformed XML: an envelope cut off in the middle of a tag.
const MALFORMED: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<soap:Envelope \
     xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body><PRMM_IN010043NL \
     xmlns=\"urn:hl7-org:v3\"><id root=\"2.16.840.1.113883.2.4.6.6\" extension=\"";

/// Another receiver application id than `ours`: its last digit changed.
pub fn other_receiver(ours: &ApplicationId) -> ApplicationId {
    let mut digits = ours.as_str().to_owned();
    let last = digits.pop().and_then(|c| c.to_digit(10)).unwrap_or(0);
    digits.push(char::from_digit((last + 1) % 10, 10).unwrap_or('0'));
    ApplicationId::parse(&digits).unwrap_or_else(|_| ours.clone())
}

/// `n` generated lots `LOTGATE-VERIFY-00000`, … under the vaccine types valid `today`
/// in turn, expiring in a year.
pub fn test_set(n: usize, codes: &CodeList, today: chrono::NaiveDate) -> LotSet {
    let types: Vec<VaccineType> = codes
        .entries()
        .iter()
        .filter(|e| matches!(codes.on(e.code, Some(today)), Known::Valid(_)))
        .map(|e| VaccineType::new(e.code, &e.name))
        .collect();
    let expires = today + TimeDelta::days(365);
    let lots = (0..n)
        .filter_map(|i| {
            Some(Lot {
                number: LotNumber::parse(&format!("{TEST_LOT_PREFIX}{i:05}")).ok()?,
                vaccine: types.get(i % types.len().max(1))?.clone(),
                expires: Some(expires),
            })
        })
        .collect();
    LotSet::new(lots).unwrap_or_default()
}

/// The lines of a message that each carry one lot (the encoder writes one per line).
pub(super) fn product_lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .filter(|line| line.starts_with("<product ") && line.ends_with("</product>"))
}

/// `bytes` without the line of its last lot: the same message id, other bytes.
pub(super) fn without_last_lot(bytes: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(bytes).into_owned();
    match product_lines(&text).last() {
        Some(line) => {
            let at = text.rfind(line).unwrap_or(0);
            format!("{}{}", &text[..at], &text[at + line.len() + 1..]).into_bytes()
        }
        None => bytes.to_vec(),
    }
}

/// `valid` with the number of `test`'s first lot blanked.
pub(super) fn blank_first_lot(valid: &[u8], test: &LotSet) -> Vec<u8> {
    let number = test.lots().first().map_or("", |lot| lot.number.as_str());
    String::from_utf8_lossy(valid)
        .replacen(&format!("extension=\"{number}\""), "extension=\"\"", 1)
        .into_bytes()
}
