//! Watching our own certificates: at start-up, after each reload and then hourly, whether one is within its
//! warning period; the first time it is, one email to the role's administrators (once
//! per certificate, also across restarts). `/readyz` shows the warning on its own.

use crate::config::EmailAddress;
use crate::language::Language;
use crate::live::Live;
use crate::mail::outbox_entry;
use crate::store;
use crate::tls::{Expiry, OwnCertificate};
use chrono::{DateTime, Utc};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// How often a certificate's expiry is checked.
const CHECK_EVERY: Duration = Duration::from_secs(3600);

/// One of our certificates and whom to tell when it is about to expire.
#[derive(Debug, Clone)]
pub struct Watched {
    /// The configuration key of the certificate, e.g. `receiver.tls.certificate`.
    pub whose: &'static str,
    /// The certificate.
    pub certificate: OwnCertificate,
    /// How long before its end it is warned about.
    pub warning: Duration,
    /// The outbox of the role it belongs to.
    pub outbox: store::Outbox,
    /// That role's administrators.
    pub administrators: Vec<EmailAddress>,
    /// Wakes that role's mail worker.
    pub mail_wake: Arc<Notify>,
}

/// Checks every certificate in `watched` now, then every hour and whenever `recheck` is
/// notified (a reload replaced the list), until `shutdown` completes.
pub async fn watch(
    watched: Live<Vec<Watched>>,
    recheck: Arc<Notify>,
    language: Language,
    shutdown: impl Future<Output = ()>,
) {
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        for watched in watched.get().iter() {
            check(watched, language);
        }
        tokio::select! {
            () = &mut shutdown => return,
            () = tokio::time::sleep(CHECK_EVERY) => {}
            () = recheck.notified() => {}
        }
    }
}

/// Queues the email about `watched` when it is within its warning period (once per
/// certificate).
fn check(watched: &Watched, language: Language) {
    let now = Utc::now();
    let Some(expiry) = watched.certificate.expiry(now, watched.warning) else {
        return;
    };
    tracing::warn!("{}", expiry.reason(watched.whose, Language::En));
    let to = watched
        .administrators
        .iter()
        .map(ToString::to_string)
        .collect();
    for (id, payload) in mail(&expiry, watched.whose, to, language, now) {
        match watched.outbox.enqueue_once(&id, &payload) {
            Ok(true) => watched.mail_wake.notify_one(),
            Ok(false) => {}
            Err(e) => tracing::error!("certificate expiry email not queued: {e}"),
        }
    }
}

/// The email about `expiry` of the certificate in `whose` to `to`, as an outbox entry;
/// its id names the certificate, so it is queued once per certificate (see
/// `Outbox::enqueue_once`).
fn mail(
    expiry: &Expiry,
    whose: &str,
    to: Vec<String>,
    language: Language,
    now: DateTime<Utc>,
) -> Vec<(String, Vec<u8>)> {
    let c = &expiry.certificate;
    let when = c.not_after.format("%Y-%m-%d %H:%M UTC");
    let days_left = expiry.days_left.max(0);
    let (subject, body) = match language {
        Language::Nl => (
            format!("lotgate: certificaat {whose} verloopt op {when}"),
            format!(
                "Het certificaat van lotgate in {whose} verloopt binnenkort of is verlopen.\n\n\
                 Certificaat: {}\nGeldig tot: {when}\nDagen over: {days_left}\n\n\
                 Vraag tijdig een nieuw certificaat aan en vervang het bestand; na \
                 `systemctl reload lotgate` (of `lotgate reload`) gebruikt lotgate het nieuwe. Zonder geldig certificaat komen er geen \
                 partijnummers meer over.\n",
                c.subject,
            ),
        ),
        Language::En => (
            format!("lotgate: certificate {whose} expires on {when}"),
            format!(
                "lotgate's certificate in {whose} expires soon or has expired.\n\n\
                 Certificate: {}\nValid until: {when}\nDays left: {days_left}\n\n\
                 Request a new certificate in time and replace the file; lotgate uses the \
                 new one after `systemctl reload lotgate` (or `lotgate reload`). Without a valid certificate no lot numbers get \
                 through.\n",
                c.subject,
            ),
        ),
    };
    let id = format!("certificate-expiry-{}", c.fingerprint);
    outbox_entry(id, to, subject, body, now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn one_email_per_certificate_in_one_language() {
        let at = |y, m, d, h| Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap();
        let cert = OwnCertificate {
            subject: "CN=lotgate".into(),
            not_after: at(2026, 12, 31, 12),
            fingerprint: "0011223344556677".into(),
        };
        let soon = cert
            .expiry(at(2026, 12, 20, 0), Duration::from_secs(30 * 86_400))
            .expect("expiring");
        for language in Language::ALL {
            let mails = mail(
                &soon,
                "receiver.tls.certificate",
                vec!["a@example.org".into()],
                language,
                at(2026, 12, 20, 0),
            );
            assert_eq!(mails.len(), 1);
            assert_eq!(mails[0].0, "certificate-expiry-0011223344556677");
            let mail: crate::mail::Mail = serde_json::from_slice(&mails[0].1).unwrap();
            assert!(mail.body().contains("CN=lotgate"), "{}", mail.body());
            crate::language::assert_written_in(
                &format!("{}\n{}", mail.subject(), mail.body()),
                language,
            );
        }
    }
}
