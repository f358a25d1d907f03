//! The mail's answers: the alert emails of both roles, waiting and given up on, and what
//! the operators' actions did.

use crate::language::Language;
use serde::{Deserialize, Serialize};

/// A mail as administrators see it: waiting, or given up on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailView {
    /// The mail's id (also its `Message-ID`): what `lotgate mail retry` takes.
    pub id: String,
    /// Whose outbox it is in: `sender` or `receiver`.
    pub role: String,
    /// The subject line.
    pub subject: String,
    /// The recipients.
    pub to: Vec<String>,
    /// When the alert was raised (and queued).
    pub queued_at: String,
    /// How often it was tried (pending mails).
    pub tries: u32,
    /// When it was last tried.
    pub last_try: Option<String>,
    /// What the last try met: our words and the server's answer.
    pub last_error: Option<String>,
    /// Since when the server refuses it (a configuration problem).
    pub refused_since: Option<String>,
    /// When it was given up on (dead letters).
    pub dead_at: Option<String>,
    /// Why it was given up on (dead letters).
    pub reason: Option<String>,
}

/// Every mail of a set of queues: waiting and given up on, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailList {
    /// The mails waiting to be sent.
    pub pending: Vec<MailView>,
    /// The mails given up on.
    pub dead: Vec<MailView>,
}

impl MailList {
    /// Whether no mail waits and none was given up on.
    pub fn is_empty(&self) -> bool {
        self.pending.is_empty() && self.dead.is_empty()
    }

    /// The list as text for a terminal, in `language`: the waiting mails (unless
    /// `dead_only`) and the dead letters, each with its recipients, tries and the last
    /// answer or the reason.
    pub fn text(&self, dead_only: bool, language: Language) -> String {
        let l = |nl, en| language.pick(nl, en);
        let mut out = String::new();
        if !dead_only {
            out.push_str(&format!(
                "{} ({}):\n",
                l("Wachtende e-mails", "Mails waiting"),
                self.pending.len()
            ));
            for mail in &self.pending {
                out.push_str(&mail.head());
                out.push_str(&format!(
                    "    {} {}, {} {}{}\n",
                    l("in de wachtrij sinds", "queued at"),
                    mail.queued_at,
                    mail.tries,
                    l("poging(en)", "tries"),
                    mail.last_try
                        .as_deref()
                        .map(|at| format!(", {} {at}", l("laatste om", "last at")))
                        .unwrap_or_default()
                ));
                if let Some(since) = &mail.refused_since {
                    out.push_str(&format!(
                        "    {} {since}\n",
                        l(
                            "de mailserver weigert ons (configuratie?) sinds",
                            "the mail server refuses us (configuration?) since"
                        )
                    ));
                }
                if let Some(error) = &mail.last_error {
                    out.push_str(&format!(
                        "    {}: {error}\n",
                        l("laatste antwoord", "last answer")
                    ));
                }
            }
        }
        out.push_str(&format!(
            "{} ({}):\n",
            l("Onbestelbare e-mails", "Dead letters"),
            self.dead.len()
        ));
        for mail in &self.dead {
            out.push_str(&mail.head());
            out.push_str(&format!(
                "    {} {}: {}\n",
                l("opgegeven op", "given up at"),
                mail.dead_at.as_deref().unwrap_or("?"),
                mail.reason.as_deref().unwrap_or("")
            ));
        }
        out
    }
}

impl MailView {
    /// The first lines of a mail in a list: id, role, subject and recipients.
    fn head(&self) -> String {
        format!(
            "  {} ({}) \"{}\"\n    -> {}\n",
            self.id,
            self.role,
            self.subject,
            self.to.join(", ")
        )
    }
}

/// `POST /api/v1/mail/{id}/retry` (HTTP 202).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailRetried {
    /// The id, when one mail was asked for (not with `/api/v1/mail/retry`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retried: Option<String>,
    /// How many dead letters went back into an outbox.
    pub from_dead_letters: usize,
}

/// `POST /api/v1/mail/{id}/discard`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailDiscarded {
    /// The id of the mail removed.
    pub discarded: String,
}
