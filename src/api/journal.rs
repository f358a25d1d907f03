//! The journal's answers: what each role exchanged and which changes administrators
//! made, newest first.

use super::{MessageView, OutcomeView, StateView, TriggerView};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The first letter of the id of an entry in the sender's journal (`s17`).
pub const SENDER_ENTRY: &str = "s";

/// The first letter of the id of an entry in the receiver's journal (`r40`).
pub const RECEIVER_ENTRY: &str = "r";

/// What a journal entry is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// A delivery of the sender, with its message and every attempt.
    Delivery,
    /// A request the receiver answered, or refusals of one kind in one hour, counted.
    Received,
    /// A change an administrator made through the admin listener.
    Audit,
}

/// One attempt of a delivery, as the journal keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalAttempt {
    /// Its number, from 1; the answer to it is body `answer N`.
    pub number: u32,
    /// When it began.
    pub at: String,
    /// How long it took, in milliseconds (`null` while it runs, or when the gateway
    /// stopped during it).
    pub duration_ms: Option<u64>,
    /// The HTTP status of the answer, when one came.
    pub http_status: Option<u16>,
    /// How it ended.
    pub outcome: OutcomeView,
    /// What happened, in the gateway's language.
    pub detail: String,
    /// The connection broke after the message was sent: the receiver may have applied it.
    pub answer_lost: bool,
}

/// A delivery of the sender.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalDelivery {
    /// The delivery's number.
    pub delivery: u64,
    /// Why it started.
    pub trigger: TriggerView,
    /// The local date of its night (nightly and missed nights).
    pub night: Option<String>,
    /// Where it stands (or stood when it was superseded).
    pub state: StateView,
    /// Its first planned attempt.
    pub start: String,
    /// The message; `null` while it could not be built.
    pub message: Option<MessageView>,
    /// Every attempt, oldest first.
    pub attempts: Vec<JournalAttempt>,
    /// When it was delivered or rejected.
    pub finished_at: Option<String>,
    /// When it was listed in an escalation email.
    pub escalated_at: Option<String>,
}

/// A request the receiver answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalReceived {
    /// The client's address (for counted refusals: the last one's).
    pub client: String,
    /// The client certificate's identity, with two-way TLS.
    pub tls_identity: Option<String>,
    /// The sender's application id in the message, when it could be read.
    pub sender: Option<String>,
    /// The message's `creationTime`, when it could be read.
    pub created: Option<String>,
    /// The request's size in bytes (for counted refusals: the last one's, when known).
    pub bytes: usize,
    /// SHA-256 of the request's bytes, in hex (not for counted refusals).
    pub sha256: Option<String>,
    /// Whether the answer was the stored answer to the same message sent before.
    pub replayed: bool,
    /// How many requests the entry stands for: 1, or more for refusals counted in one
    /// hour.
    pub count: u64,
    /// What was wrong, in the gateway's language, when the request was refused.
    pub detail: Option<String>,
}

/// A change made through the admin listener.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalAudit {
    /// What was asked: `send-now`, `quarantine accept`, `quarantine discard`, `mail
    /// retry`, `mail retry --all`, `mail discard`, `backup`, `reload`, or the method and path of a change
    /// that was refused before it was understood.
    pub action: String,
    /// Its arguments (an id, a destination).
    pub arguments: BTreeMap<String, String>,
    /// The client's address; `SIGHUP` for a reload asked for by that signal.
    pub client: String,
    /// Whether the request carried a bearer token (never the token itself).
    pub token_presented: bool,
    /// The HTTP status of the answer.
    pub status: u16,
}

/// A body kept with an entry: what `GET /api/v1/journal/{id}/message` and `/answer`
/// return.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalBody {
    /// `message`, or `answer N` for the answer to attempt (or request) N.
    pub name: String,
    /// Its size as sent or received.
    pub bytes: usize,
    /// Whether only the first part was kept (answers over 1 MiB).
    pub clipped: bool,
}

/// One entry of the journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalEntryView {
    /// Its id, what `lotgate journal show` takes: `s` (the sender's journal) or `r`
    /// (the receiver's) and a number, e.g. `s17`.
    pub id: String,
    /// What it is about.
    pub kind: EntryKind,
    /// When it began.
    pub at: String,
    /// When it last changed; it is kept for `gateway.journal_retention` after that.
    pub last_at: String,
    /// How it ended: a delivery's state (`pending`, `delivered`, `rejected`); a received
    /// request's verdict (`ca`, `ce`, `cr`, `fault`, `too_large`, `timeout`, `broken`,
    /// `refused`); a change's result (`ok`, `refused`, `failed`).
    pub outcome: String,
    /// The destination (deliveries).
    pub destination: Option<String>,
    /// The message it is about, `root/extension`.
    pub message_id: Option<String>,
    /// The delivery, for a `delivery` entry.
    pub delivery: Option<JournalDelivery>,
    /// The request, for a `received` entry.
    pub received: Option<JournalReceived>,
    /// The change, for an `audit` entry.
    pub audit: Option<JournalAudit>,
    /// The bodies kept with it.
    pub bodies: Vec<JournalBody>,
}

/// `GET /api/v1/journal`: entries newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalPage {
    /// The entries.
    pub entries: Vec<JournalEntryView>,
    /// Where the next page starts: pass it as `cursor`; `null` on the last page.
    pub next_cursor: Option<String>,
}
