//! TLS to the target: the platform's trust store plus the agency's test CA (`--ca-cert`), a
//! client certificate for mutual TLS (`--client-cert`/`--client-key`, as government gateways
//! use), or, as a last resort, no verification at all (`--insecure`). One rustls configuration
//! serves every connection of a run, so every path to the target trusts the same things. TLS
//! failures are said in words a tester can act on.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, SignatureScheme};

/// What the run trusts and presents.
#[derive(Clone, Debug, Default)]
pub struct TlsOptions {
    /// PEM files of CA certificates to trust besides the platform's.
    pub ca_certs: Vec<PathBuf>,
    /// PEM certificate (chain) and private key for mutual TLS.
    pub client_cert: Option<(PathBuf, PathBuf)>,
    /// Accept any certificate (self-signed test servers only).
    pub insecure: bool,
    /// Read the platform's trust store now, so a problem with it stops the run before it
    /// starts (the target is HTTPS). Otherwise it is read on the first handshake, if any.
    pub preload_roots: bool,
}

/// The rustls client configuration for these options (HTTP/1.1).
pub fn client_config(options: &TlsOptions) -> Result<Arc<ClientConfig>, String> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?;
    let mut extra_roots = Vec::new();
    for path in &options.ca_certs {
        let certs = read_certs(path)?;
        if certs.is_empty() {
            return Err(format!(
                "--ca-cert {}: no PEM certificate in the file",
                path.display()
            ));
        }
        extra_roots.extend(certs);
    }
    let verifier: Arc<dyn ServerCertVerifier> = if options.insecure {
        Arc::new(AcceptAny(provider))
    } else {
        let verifier = PlatformRoots::new(extra_roots, provider);
        if options.preload_roots {
            verifier.get().map_err(|e| e.to_string())?;
        }
        Arc::new(verifier)
    };
    let builder = builder
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let mut config = match &options.client_cert {
        Some((cert, key)) => {
            let chain = read_certs(cert)?;
            if chain.is_empty() {
                return Err(format!(
                    "--client-cert {}: no PEM certificate in the file",
                    cert.display()
                ));
            }
            let pem = read_pem(key).map_err(|e| format!("--client-key {e}"))?;
            let key = PrivateKeyDer::from_pem_slice(&pem).map_err(|e| {
                format!(
                    "--client-key {}: not a PEM private key ({e})",
                    key.display()
                )
            })?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| format!("--client-cert/--client-key do not make a pair: {e}"))?
        }
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// The largest certificate or key file read: a bundle of every public CA is under 1 MiB.
const MAX_PEM_BYTES: u64 = 4 * 1024 * 1024;

/// A PEM file: a regular file (a FIFO would block, `/dev/zero` never end), bounded.
fn read_pem(path: &Path) -> Result<Vec<u8>, String> {
    crate::read::bounded(path, MAX_PEM_BYTES)
}

fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let pem = read_pem(path)?;
    CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{}: cannot read PEM certificates ({e})", path.display()))
}

/// What a handshake says when the platform's trust store could not be read.
const NO_TRUST_STORE: &str = "cannot read the platform's trusted certificates";

/// The platform's trust store (and `--ca-cert`), read once, when first needed: reading it
/// costs more than the rest of a small run's start, and a run against plain HTTP (the built-in
/// reference, an agency's system during step 9) never needs it.
#[derive(Debug)]
struct PlatformRoots {
    extra: std::sync::Mutex<Vec<CertificateDer<'static>>>,
    provider: Arc<rustls::crypto::CryptoProvider>,
    verifier: std::sync::OnceLock<Result<rustls_platform_verifier::Verifier, String>>,
}

impl PlatformRoots {
    fn new(
        extra: Vec<CertificateDer<'static>>,
        provider: Arc<rustls::crypto::CryptoProvider>,
    ) -> Self {
        Self {
            extra: std::sync::Mutex::new(extra),
            provider,
            verifier: std::sync::OnceLock::new(),
        }
    }

    fn get(&self) -> Result<&rustls_platform_verifier::Verifier, rustls::Error> {
        self.verifier
            .get_or_init(|| {
                let extra =
                    std::mem::take(&mut *self.extra.lock().unwrap_or_else(|e| e.into_inner()));
                rustls_platform_verifier::Verifier::new_with_extra_roots(
                    extra,
                    self.provider.clone(),
                )
                .map_err(|e| format!("{NO_TRUST_STORE}: {e}"))
            })
            .as_ref()
            .map_err(|e| rustls::Error::General(e.clone()))
    }
}

impl ServerCertVerifier for PlatformRoots {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.get()?
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.get()?.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.get()?.verify_tls13_signature(message, cert, dss)
    }

    /// Offered in the handshake before any certificate arrives: the provider's, which is what
    /// the platform verifier answers too, so asking does not read the store.
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// `--insecure`: any certificate, any name. Signatures are still checked, so the connection
/// is at least with the holder of the key the certificate names.
#[derive(Debug)]
struct AcceptAny(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AcceptAny {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// What a TLS failure somewhere in this error's chain means, and what to do, if it is one.
pub fn explain(error: &(dyn std::error::Error + 'static)) -> Option<&'static str> {
    let mut next = Some(error);
    while let Some(e) = next {
        let tls = e.downcast_ref::<rustls::Error>().or_else(|| {
            e.downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        });
        if let Some(tls) = tls {
            return Some(match tls {
                rustls::Error::General(why) if why.starts_with(NO_TRUST_STORE) => {
                    "TLS: this machine's trusted certificates (its CA store) cannot be read; install or repair it (Debian: ca-certificates)"
                }
                _ => words(tls),
            });
        }
        // Some layers keep rustls's error only as text.
        if let Some(words) = words_of_text(&e.to_string()) {
            return Some(words);
        }
        next = e.source();
    }
    None
}

/// The same words, from the text rustls gives its errors.
fn words_of_text(text: &str) -> Option<&'static str> {
    let certificate =
        |error: CertificateError| Some(words(&rustls::Error::InvalidCertificate(error)));
    let alert = |alert: rustls::AlertDescription| Some(words(&rustls::Error::AlertReceived(alert)));
    if text.contains("UnknownIssuer") {
        certificate(CertificateError::UnknownIssuer)
    } else if text.contains("certificate expired") || text.contains("Expired") {
        certificate(CertificateError::Expired)
    } else if text.contains("not valid yet") || text.contains("NotValidYet") {
        certificate(CertificateError::NotValidYet)
    } else if text.contains("not valid for name") || text.contains("NotValidForName") {
        certificate(CertificateError::NotValidForName)
    } else if text.contains("CertificateRequired") || text.contains("HandshakeFailure") {
        alert(rustls::AlertDescription::CertificateRequired)
    } else if text.contains("invalid peer certificate") {
        certificate(CertificateError::BadEncoding)
    } else {
        None
    }
}

fn words(error: &rustls::Error) -> &'static str {
    use rustls::AlertDescription as Alert;
    match error {
        rustls::Error::InvalidCertificate(cert) => match cert {
            CertificateError::UnknownIssuer => {
                "TLS: the target's certificate is self-signed or signed by an issuer this machine does not trust; give the agency's test CA with --ca-cert FILE (or, as a last resort, --insecure)"
            }
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                "TLS: the target's certificate has expired; the agency must renew it"
            }
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                "TLS: the target's certificate is not valid yet (check both machines' clocks)"
            }
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                "TLS: the target's certificate is for another host name than the one in --target"
            }
            CertificateError::Revoked => "TLS: the target's certificate has been revoked",
            _ => {
                "TLS: the target's certificate is not acceptable; check it, or give its CA with --ca-cert FILE"
            }
        },
        rustls::Error::AlertReceived(Alert::CertificateRequired | Alert::HandshakeFailure) => {
            "TLS: the target refused the handshake; if it wants a client certificate (mutual TLS), give --client-cert FILE and --client-key FILE"
        }
        rustls::Error::AlertReceived(
            Alert::BadCertificate | Alert::UnknownCA | Alert::CertificateUnknown,
        ) => "TLS: the target did not accept the client certificate given with --client-cert",
        _ => "TLS: the secure connection to the target failed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_trust_store_is_read_on_first_use_and_once() {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let roots = PlatformRoots::new(Vec::new(), provider);
        assert!(roots.verifier.get().is_none(), "read before any handshake");
        assert!(!roots.supported_verify_schemes().is_empty());
        assert!(roots.verifier.get().is_none(), "read to offer schemes");
        let first: *const _ = roots.get().expect("the platform's store reads");
        let again: *const _ = roots.get().expect("the platform's store reads");
        assert_eq!(first, again);
    }

    #[test]
    fn an_unreadable_trust_store_is_said_with_what_to_do() {
        assert_eq!(
            explain(&rustls::Error::General(format!(
                "{NO_TRUST_STORE}: no such file"
            ))),
            Some(
                "TLS: this machine's trusted certificates (its CA store) cannot be read; install or repair it (Debian: ca-certificates)"
            )
        );
    }
}
