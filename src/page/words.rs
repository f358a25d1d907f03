//! Every word of the page in Dutch and in English, in one place: the fixed words as
//! [`Word`], and the few that depend on a value (a night's result, a slot's label, the
//! readiness) as functions.

use crate::api::{NightResult, OutcomeView, ReadyStatus, ReportView};
use crate::language::Language;

/// Defines [`Word`] with its Dutch and English text and the list of all of them.
macro_rules! words {
    ($($name:ident => $nl:literal, $en:literal;)*) => {
        /// A fixed word or phrase of the page.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub(super) enum Word {
            $(
                #[doc = $en]
                $name,
            )*
        }

        impl Word {
            /// Every word.
            #[cfg(test)]
            pub(super) const ALL: &[Word] = &[$(Word::$name,)*];

            /// The word in `language`.
            pub(super) fn get(self, language: Language) -> &'static str {
                match self {
                    $(Word::$name => language.pick($nl, $en),)*
                }
            }
        }
    };
}

words! {
    Title => "lotgate – overzicht", "lotgate – status";
    Updated => "Bijgewerkt", "Updated";
    Refreshes => "ververst elke 30 s", "refreshes every 30 s";
    TimeZone => "tijdzone", "time zone";
    Ready => "Gereed", "Ready";
    Degraded => "Aandacht nodig", "Degraded";
    Unavailable => "Niet beschikbaar", "Unavailable";

    Deliveries => "Afleveringen", "Deliveries";
    NextNight => "Volgende nacht", "Next night";
    Starts => "begint", "starts";
    NoDestinations => "Geen bestemmingen", "No destinations";
    Destination => "Bestemming", "Destination";
    Address => "Adres", "URL";
    ReceiverId => "Ontvanger-id", "Receiver id";
    CurrentDelivery => "Huidige aflevering", "Current delivery";
    LastNight => "Laatste nacht", "Last night";
    Message => "Bericht", "Message";
    MessageMissing => "nog niet gemaakt (bron onleesbaar)", "not built yet (source unreadable)";
    Lots => "Partijnummers", "Lot numbers";
    Bytes => "bytes", "bytes";
    NextAttempt => "Volgende poging", "Next attempt";
    Exhausted => "alle pogingen gedaan", "exhausted";
    NoneLeft => "–", "–";
    Escalation => "Escalatie", "Escalation";
    NeverEscalated => "nooit (nacht van voor de installatie)", "never (a night from before the installation)";
    EscalatedAt => "Geëscaleerd om", "Escalated at";
    EscalationOpen => "Escalatie open: beheerders zijn gewaarschuwd; bij aflevering volgt een herstelmail",
        "Escalation open: the administrators were alerted; a resolution email follows on delivery";
    AttemptInFlight => "Poging bezig", "Attempt in flight";
    Finished => "Afgerond", "Finished";
    NoDelivery => "Nog geen aflevering", "No delivery yet";
    NoGrid => "Nog geen aflevering: geen planning om te tonen", "No delivery yet: no schedule to show";
    Schedule => "Planning en pogingen", "Schedule and attempts";
    FirstAttempt => "eerste poging", "first attempt";
    Retry => "nieuwe poging", "retry";
    Repeat => "herhaling", "repeat";
    Pause => "pauze", "pause";
    Now => "nu", "now";
    Planned => "gepland", "planned";
    Attempts => "Pogingen", "Attempts";
    Time => "Tijd", "Time";
    Outcome => "Uitkomst", "Outcome";
    Detail => "Details", "Details";
    AnswerLost => "antwoord verloren: de ontvanger kan het bericht hebben verwerkt",
        "answer lost: the receiver may have applied it";
    NoAttempts => "Nog geen pogingen", "No attempts yet";
    Nights => "Laatste nachten", "Last nights";
    NoNights => "Nog geen nachten", "No nights yet";
    Legend => "Legenda", "Legend";
    DestinationJournal => "Journaal van deze bestemming", "Journal of this destination";
    JournalEntry => "journaalregel", "journal entry";

    Receiver => "Ontvanger", "Receiver";
    SetInPlace => "Set in gebruik", "Set in place";
    Version => "Versie", "Version";
    Created => "Aangemaakt", "Created";
    Applied => "Toegepast", "Applied";
    NoSet => "Nog geen set", "No set yet";
    Vaccine => "Vaccin", "Vaccine";
    Total => "Totaal", "Total";
    Stale => "Verouderd", "Stale";
    Fresh => "Actueel", "Up to date";
    Watchdog => "Waakhond", "Watchdog";
    ExpectBy => "Verwacht vóór", "Expected by";
    NextCheck => "Volgende controle", "Next check";
    AlertOpen => "Waarschuwing open", "Alert open";
    NoAlertOpen => "Geen waarschuwing open", "No alert open";
    LastAlert => "Laatste waarschuwing", "Last alert";
    LotChart => "Partijnummers per levering", "Lot numbers per delivery";
    AppliedMark => "toegepast", "applied";
    NotApplied => "niet toegepast (geweigerd of in quarantaine)", "not applied (rejected or quarantined)";
    NoHistory => "Nog geen leveringen ontvangen", "No deliveries received yet";
    RecentReports => "Recente importrapporten", "Recent import reports";
    Received => "Ontvangen", "Received";
    SetVersion => "Setversie", "Set version";
    Added => "Toegevoegd", "Added";
    Removed => "Verwijderd", "Removed";
    Warnings => "Waarschuwingen", "Warnings";
    Errors => "Fouten", "Errors";
    NoReports => "Nog geen importrapporten", "No import reports yet";
    Quarantine => "Quarantaine", "Quarantine";
    Reason => "Reden", "Reason";
    PutInPlace => "In gebruik nemen", "Put in place";
    Drop => "Weggooien", "Discard";
    NoQuarantine => "Geen sets in quarantaine", "No sets in quarantine";
    Partners => "Aanleverende partijen", "Sending partners";
    Phase => "Fase", "Phase";
    ConnectPhase => "koppelfase", "connect phase";
    ProductionPhase => "productie", "production";
    Assessment => "Beoordeling", "Assessment";
    Positive => "positief", "positive";
    Negative => "negatief", "negative";
    LastDelivery => "Laatste levering", "Last delivery";
    TrialSet => "Proefset", "Trial set";
    NoTrialYet => "nog geen levering", "no delivery yet";

    Certificates => "Certificaten", "Certificates";
    Name => "Naam", "Name";
    Holder => "Houder", "Subject";
    ValidUntil => "Geldig tot", "Valid until";
    DaysLeft => "Resterend", "Left";
    Expired => "verlopen", "expired";
    ExpiringSoon => "verloopt binnenkort", "expiring soon";
    NoCertificates => "Geen eigen certificaten (geen TLS)", "No certificates of our own (no TLS)";

    Mail => "E-mail", "Email";
    MailWaiting => "Wachtende e-mails", "Mails waiting";
    DeadLetters => "Onbestelbare e-mails", "Dead letters";
    Subject => "Onderwerp", "Subject";
    Role => "Rol", "Role";
    To => "Aan", "To";
    Queued => "In wachtrij sinds", "Queued";
    Tries => "Pogingen", "Tries";
    LastAnswer => "Laatste antwoord", "Last answer";
    RefusedSince => "mailserver weigert sinds", "the server refuses since";
    GivenUpAt => "Opgegeven op", "Given up at";
    Commands => "Opdrachten", "Commands";
    NoMail => "Geen", "None";

    Links => "Verwijzingen", "Links";
    Journal => "Journaal", "Journal";
    AuditJournal => "Journaal: beheer", "Journal: audit";
    Metrics => "Metrieken (Prometheus)", "Metrics (Prometheus)";
    OverviewJson => "Dit overzicht als JSON", "This overview as JSON";
    Readiness => "Gereedheid", "Readiness";
}

/// The readiness in words, with its icon.
pub(super) fn readiness(status: ReadyStatus) -> (&'static str, Word) {
    match status {
        ReadyStatus::Ready => ("✓", Word::Ready),
        ReadyStatus::Degraded => ("⚠", Word::Degraded),
        ReadyStatus::Unavailable => ("✗", Word::Unavailable),
    }
}

/// The readiness's name in the API (`data-state`).
pub(super) fn readiness_name(status: ReadyStatus) -> &'static str {
    match status {
        ReadyStatus::Ready => "ready",
        ReadyStatus::Degraded => "degraded",
        ReadyStatus::Unavailable => "unavailable",
    }
}

/// An attempt's outcome: its name in the API (`data-outcome`), its icon and its CSS
/// class (for the table).
pub(super) fn outcome(outcome: OutcomeView) -> (&'static str, &'static str, &'static str) {
    match outcome {
        OutcomeView::Delivered => ("delivered", "✓", "o-delivered"),
        OutcomeView::Rejected => ("rejected", "✗", "o-rejected"),
        OutcomeView::Failed => ("failed", "!", "o-failed"),
        OutcomeView::InFlight => ("in flight", "…", "o-in-flight"),
        OutcomeView::Interrupted => ("interrupted", "⚠", "o-interrupted"),
    }
}

/// Every night result, in the legend's order.
pub(super) const NIGHT_RESULTS: [NightResult; 7] = [
    NightResult::FirstTry,
    NightResult::AfterRetries,
    NightResult::Rejected,
    NightResult::Escalated,
    NightResult::Pending,
    NightResult::Superseded,
    NightResult::None,
];

/// A night's result: its name in the API (`data-result`), its symbol and its words.
pub(super) fn night(
    result: NightResult,
    language: Language,
) -> (&'static str, &'static str, &'static str) {
    let l = |nl, en| language.pick(nl, en);
    match result {
        NightResult::FirstTry => (
            "first_try",
            "✓",
            l(
                "afgeleverd bij de eerste poging",
                "delivered at the first attempt",
            ),
        ),
        NightResult::AfterRetries => (
            "after_retries",
            "↻",
            l("afgeleverd na nieuwe pogingen", "delivered after retries"),
        ),
        NightResult::Rejected => ("rejected", "✗", l("geweigerd", "rejected")),
        NightResult::Escalated => (
            "escalated",
            "⚠",
            l(
                "geëscaleerd: niet op tijd afgeleverd",
                "escalated: not delivered in time",
            ),
        ),
        NightResult::Pending => ("pending", "…", l("nog bezig", "pending")),
        NightResult::Superseded => (
            "superseded",
            "↷",
            l(
                "vervangen door een nieuwere aflevering",
                "superseded by a newer delivery",
            ),
        ),
        NightResult::None => ("none", "–", l("geen aflevering", "no delivery")),
    }
}

/// A planned slot's label: the first attempt, retry n, or repeat n (repeats counted
/// over every pattern after the first, as in `docs/sender.md`).
pub(super) fn slot(pattern: u32, position: u32, repeat_number: u32, language: Language) -> String {
    match (pattern, position) {
        (0, 0) => Word::FirstAttempt.get(language).to_owned(),
        (0, n) => format!("{} {n}", Word::Retry.get(language)),
        _ => format!("{} {repeat_number}", Word::Repeat.get(language)),
    }
}

/// `n` days in words: `1 dag`, `12 dagen`; `3 dagen geleden` for -3.
pub(super) fn days(n: i64, language: Language) -> String {
    let count = n.unsigned_abs();
    let unit = match (count == 1, language) {
        (true, Language::Nl) => "dag",
        (false, Language::Nl) => "dagen",
        (true, Language::En) => "day",
        (false, Language::En) => "days",
    };
    if n < 0 {
        format!("{count} {unit} {}", language.pick("geleden", "ago"))
    } else {
        format!("{count} {unit}")
    }
}

/// A mail's role (`sender`, `receiver`) in words; anything else as it is.
pub(super) fn role(role: &str, language: Language) -> &str {
    match role {
        "sender" => language.pick("verzender", "sender"),
        "receiver" => language.pick("ontvanger", "receiver"),
        other => other,
    }
}

/// How an import report's outcome reads: good, bad, or one to look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Tone {
    /// Put in place.
    Good,
    /// Refused.
    Bad,
    /// Held back, stale, or dropped: a person may look.
    Attention,
}

/// An import report's outcome in words (see [`ReportView::outcome_words`]), with its
/// icon and tone.
pub(super) fn report_outcome(
    report: &ReportView,
    language: Language,
) -> (&'static str, Tone, String) {
    let words = report.outcome_words(language);
    let (icon, tone) = match report
        .outcome
        .split_whitespace()
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["applied"] | ["quarantine", _, "accepted"] => ("✓", Tone::Good),
        ["rejected", _] => ("✗", Tone::Bad),
        ["stale"] => ("⚠", Tone::Attention),
        ["quarantined", _] => ("⊘", Tone::Attention),
        ["quarantine", _, "discarded"] => ("–", Tone::Attention),
        _ => ("?", Tone::Attention),
    };
    (icon, tone, words)
}
