//! Alert email: the stored form of an alert ([`Mail`]), the ways it leaves the process
//! ([`Transport`]: SMTP or `.eml` files) and the worker that drains the outbox
//! ([`drain_once`], wrapped by the thin loop [`run`]).
//!
//! The outbox itself lives in the store, filled in the same transaction as the state
//! change that causes an alert. The worker drains it through the [`Outbox`] trait;
//! [`Queue`] and [`MailState`] read a role's outbox for the administrators (the mail
//! list, `/readyz`'s alarms) and [`api`] lets them retry or discard. A mail leaves the
//! outbox only after the transport accepted it, so no alert is lost while SMTP is down.
//! A crash between acceptance and removal sends the same mail again, with the same
//! `Message-ID` (`<{id}@lotgate>`), which makes the resend recognisable. [`daily`] keeps
//! the time of the roles' daily digests.
//!
//! Callers write subject and body (in the configured language); this module's own texts
//! — what went wrong, the alarms, the API's errors — are in both languages. It never
//! logs a password.

pub mod api;
pub mod daily;
mod error;
mod message;
mod outbox;
mod queue;
mod transport;
mod worker;

pub use error::{SendError, SendErrorKind};
pub use message::{
    Attachment, InvalidMailId, MESSAGE_ID_DOMAIN, Mail, outbox_entry, outbox_entry_with,
};
pub use outbox::{DrainReport, Outbox, Pending, Stopped, Tries, drain_once};
pub use queue::{MailState, Queue};
pub use transport::{Accepted, Transport, TransportError};
pub use worker::{RetryPolicy, Route, Settings, run};
