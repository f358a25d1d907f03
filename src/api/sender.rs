//! The sender's answers: its status, and what send-now started.

use crate::language::Language;
use serde::{Deserialize, Serialize};

/// Why a delivery started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TriggerView {
    /// The night's delivery, at `send_at`.
    Nightly,
    /// A night the gateway missed, delivered when it came up.
    MissedNight,
    /// `send_on_start`: the delivery right after start-up.
    StartUp,
    /// A manual send-now.
    SendNow,
}

impl TriggerView {
    /// In words, for a person.
    pub fn word(self, language: Language) -> &'static str {
        match self {
            TriggerView::Nightly => language.pick("nacht", "nightly"),
            TriggerView::MissedNight => language.pick("gemiste nacht", "missed night"),
            TriggerView::StartUp => language.pick("na het starten", "after start-up"),
            TriggerView::SendNow => "send-now",
        }
    }
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StateView {
    /// Not delivered yet: attempts follow on the schedule (until it is exhausted).
    Pending,
    /// Acknowledged with `CA`.
    Delivered,
    /// Refused by the receiver (`CE`, `CR`, `soap:Client`): no more attempts.
    Rejected,
}

impl StateView {
    /// In words, for a person.
    pub fn word(self, language: Language) -> &'static str {
        match self {
            StateView::Pending => language.pick("niet afgeleverd", "not delivered"),
            StateView::Delivered => language.pick("afgeleverd", "delivered"),
            StateView::Rejected => language.pick("geweigerd", "rejected"),
        }
    }
}

/// How an attempt ended, or that it has not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeView {
    /// `CA` with our message id.
    Delivered,
    /// `CE`, `CR` or `soap:Client`: no more attempts.
    Rejected,
    /// Anything else: the next attempt follows on the schedule.
    Failed,
    /// Running now.
    #[serde(rename = "in flight")]
    InFlight,
    /// The gateway stopped during it: the receiver may have acted on it.
    Interrupted,
}

impl OutcomeView {
    /// Whether the attempt has ended with an answer or an error.
    pub fn is_finished(self) -> bool {
        matches!(
            self,
            OutcomeView::Delivered | OutcomeView::Rejected | OutcomeView::Failed
        )
    }

    /// In words, for a person.
    pub fn word(self, language: Language) -> &'static str {
        match self {
            OutcomeView::Delivered => language.pick("afgeleverd", "delivered"),
            OutcomeView::Rejected => language.pick("geweigerd", "rejected"),
            OutcomeView::Failed => language.pick("mislukt", "failed"),
            OutcomeView::InFlight => language.pick("bezig", "in flight"),
            OutcomeView::Interrupted => language.pick(
                "onderbroken (gateway gestopt)",
                "interrupted (gateway stopped)",
            ),
        }
    }
}

/// One attempt of a delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptView {
    /// When it began.
    pub at: String,
    /// How it ended, or that it has not.
    pub outcome: OutcomeView,
    /// What happened, in the gateway's language: the error, or the acknowledgement with
    /// its details on lines of their own.
    pub detail: String,
    /// The connection broke after the message was sent: the receiver may have applied it.
    pub answer_lost: bool,
}

/// The message of a delivery, as built once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageView {
    /// The message id, `root/extension`.
    pub id: String,
    /// Its `creationTime` as written (local time).
    pub created: String,
    /// SHA-256 of its exact bytes, in hex.
    pub sha256: String,
    /// How many bytes.
    pub bytes: usize,
    /// How many lots.
    pub lots: usize,
}

/// A destination's current delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryView {
    /// Its number.
    pub id: u64,
    /// Why it started.
    pub trigger: TriggerView,
    /// The local date of its night (nightly and missed nights).
    pub night: Option<String>,
    /// Where it stands.
    pub state: StateView,
    /// Its first planned attempt, from which its grid is laid out.
    pub start: String,
    /// The message; `null` while it could not be built (the source unreadable).
    pub message: Option<MessageView>,
    /// Every attempt, oldest first.
    pub attempts: Vec<AttemptView>,
    /// When it was delivered or rejected.
    pub finished_at: Option<String>,
    /// When it is escalated if not delivered by then; `null`: never (a night from before
    /// the installation).
    pub escalate_at: Option<String>,
    /// When it was listed in an escalation email.
    pub escalated_at: Option<String>,
    /// Whether an escalation about this destination awaits its resolution email.
    pub escalation_open: bool,
}

/// One destination as the sender sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DestinationStatus {
    /// Its name in the configuration.
    pub name: String,
    /// Its URL, without credentials or query.
    pub url: String,
    /// The receiver's application id.
    pub receiver: String,
    /// The local date of the last night delivered (or started).
    pub last_night: Option<String>,
    /// Whether an attempt is running.
    pub in_flight: bool,
    /// The current delivery; `null` before the first.
    pub delivery: Option<DeliveryView>,
    /// When the next attempt is planned, if one is.
    pub next_attempt: Option<String>,
    /// Whether the grid has no attempt left (until the next night or a send-now).
    pub exhausted: bool,
}

/// The next night.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NextNight {
    /// Its local date.
    pub date: String,
    /// When it starts.
    pub start: String,
}

/// `GET /api/v1/sender/status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SenderStatus {
    /// The sender's clock.
    pub now: String,
    /// The next night.
    pub next_night: NextNight,
    /// Every destination, in configuration order.
    pub destinations: Vec<DestinationStatus>,
}

/// A delivery started by send-now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Started {
    /// The destination.
    pub destination: String,
    /// The delivery's number.
    pub delivery: u64,
    /// The message id; `null` when the source could not be read (yet).
    pub message: Option<String>,
}

/// `POST /api/v1/sender/send-now[?destination=NAME]` (HTTP 202).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendNowAnswer {
    /// The deliveries started.
    pub started: Vec<Started>,
}
