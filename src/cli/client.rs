//! The client of a running gateway's admin listener that the admin verbs share: it finds
//! the listener (and the admin token) in the configuration and reads its answers.

use crate::language::Language;
use serde::de::DeserializeOwned;
use std::path::Path;
use std::process::ExitCode;

/// A client of the running gateway's admin listener, for the verbs that talk to it.
pub(super) struct Admin {
    verb: &'static str,
    listen: std::net::SocketAddr,
    /// The bearer token from `admin.token_file`, sent with every request.
    token: Option<String>,
    /// `gateway.language`: what the verb prints is in it.
    pub(super) language: Language,
    runtime: tokio::runtime::Runtime,
}

impl Admin {
    /// Loads the configuration (which says where the admin listener is).
    pub(super) fn new(path: &Path, verb: &'static str) -> Result<Self, ExitCode> {
        let config = super::load_config(path)?;
        let runtime = tokio::runtime::Runtime::new().map_err(|e| {
            eprintln!("lotgate {verb}: {e}");
            ExitCode::from(2)
        })?;
        let token = match &config.admin.token_file {
            None => None,
            Some(path) => Some(
                crate::secret::read(&crate::config::SecretSource::File(path.clone())).map_err(
                    |e| {
                        eprintln!("lotgate {verb}: admin.token_file: {e}");
                        ExitCode::from(2)
                    },
                )?,
            ),
        };
        // A listener on every address is reached on loopback.
        let mut listen = config.admin.listen;
        if listen.ip().is_unspecified() {
            listen.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
        }
        Ok(Self {
            verb,
            listen,
            token,
            language: config.gateway.language,
            runtime,
        })
    }

    /// One request; the status and body of the answer.
    pub(super) fn call(
        &self,
        method: reqwest::Method,
        path_and_query: &str,
    ) -> Result<(reqwest::StatusCode, Vec<u8>), ExitCode> {
        let url = format!("http://{}{path_and_query}", self.listen);
        self.runtime
            .block_on(async {
                let mut request = reqwest::Client::new()
                    .request(method, &url)
                    .timeout(std::time::Duration::from_secs(60));
                if let Some(token) = &self.token {
                    request = request.bearer_auth(token);
                }
                let response = request.send().await.map_err(|e| match self.language {
                    Language::Nl => format!(
                        "de beheerpoort van de gateway op {} is niet bereikbaar (draait \
                         lotgate run met deze configuratie?): {e}",
                        self.listen
                    ),
                    Language::En => format!(
                        "cannot reach the gateway's admin listener at {} (is lotgate run \
                         running with this configuration?): {e}",
                        self.listen
                    ),
                })?;
                let status = response.status();
                let body = response.bytes().await.map_err(|e| e.to_string())?;
                Ok::<_, String>((status, body.to_vec()))
            })
            .map_err(|e| {
                eprintln!("lotgate {}: {e}", self.verb);
                ExitCode::from(2)
            })
    }
}

/// An answer of the admin listener read as the API's type `T`, or, when it is an error
/// (or not `T`), its status and body.
pub(super) enum Answer<T> {
    /// The answer.
    Ok(T),
    /// An error answer, or one that is not `T`.
    Failed(reqwest::StatusCode, String),
}

impl Admin {
    /// `GET path`, read as `T`.
    pub(super) fn get<T: DeserializeOwned>(&self, path: &str) -> Result<Answer<T>, ExitCode> {
        self.read(reqwest::Method::GET, path)
    }

    /// `POST path`, read as `T`.
    pub(super) fn post<T: DeserializeOwned>(&self, path: &str) -> Result<Answer<T>, ExitCode> {
        self.read(reqwest::Method::POST, path)
    }

    fn read<T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
    ) -> Result<Answer<T>, ExitCode> {
        let (status, body) = self.call(method, path)?;
        match serde_json::from_slice(&body) {
            Ok(value) if status.is_success() => Ok(Answer::Ok(value)),
            _ => Ok(Answer::Failed(
                status,
                String::from_utf8_lossy(&body).into_owned(),
            )),
        }
    }
}

/// Prints an answer read as the API's type as pretty JSON (exit 0), or an error answer
/// as it came (exit 1).
pub(super) fn print_answer<T: serde::Serialize>(answer: Answer<T>) -> ExitCode {
    match answer {
        Answer::Ok(value) => {
            let pretty = serde_json::to_string_pretty(&value).unwrap_or_default();
            println!("{pretty}");
            ExitCode::SUCCESS
        }
        Answer::Failed(status, body) => print_json(status, &body),
    }
}

/// Prints an answer of the admin listener (pretty when it is JSON); exit 0 on success,
/// 1 otherwise.
pub(super) fn print_json(status: reqwest::StatusCode, body: &str) -> ExitCode {
    let pretty = serde_json::from_str::<serde_json::Value>(body)
        .and_then(|v| serde_json::to_string_pretty(&v))
        .unwrap_or_else(|_| body.to_owned());
    println!("{pretty}");
    if status.is_success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
