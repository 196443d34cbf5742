//! The one TLS configuration for servers ccgw talks to (the gateway, through `gateway`;
//! Vault): the system's roots plus the profile's CA files, as Claude Code (Node with
//! `NODE_EXTRA_CA_CERTS`) and curl trust them.
//!
//! One difference between those and plain webpki is bridged here: OpenSSL trusts a server
//! certificate that is itself in the trust store even when it says `CA:TRUE` (what
//! `openssl req -x509` makes by default), where webpki refuses a CA used as an end entity. We
//! accept exactly that case: the server's certificate is byte-identical to one in a CA file the
//! user named, and it is still checked for the host name and its validity dates. Everything
//! else goes through the platform verifier unchanged.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};

/// A client certificate and its key (PEM files), for gateways that want one.
pub struct ClientIdentity {
    pub certs: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
}

/// The certificates of a PEM file (`what` names the setting in errors: `tls.ca_file`, …).
pub fn read_pem_certs(path: &Path, what: &str) -> Result<Vec<CertificateDer<'static>>> {
    let pem = std::fs::read(path)
        .with_context(|| format!("could not read {what} `{}`", path.display()))?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| {
            anyhow::anyhow!(
                "{what} `{}` is not a PEM certificate bundle ({e})",
                path.display()
            )
        })?;
    if certs.is_empty() {
        anyhow::bail!("{what} `{}` holds no PEM certificate", path.display());
    }
    Ok(certs)
}

/// A client certificate chain and its private key from two PEM files.
pub fn read_identity(cert: &Path, key: &Path) -> Result<ClientIdentity> {
    let certs = read_pem_certs(cert, "client certificate")?;
    let pem = std::fs::read(key)
        .with_context(|| format!("could not read client key `{}`", key.display()))?;
    let key = PrivateKeyDer::from_pem_slice(&pem)
        .map_err(|_| anyhow::anyhow!("client key `{}` is not a PEM private key", key.display()))?;
    Ok(ClientIdentity { certs, key })
}

/// The rustls configuration: system roots plus `extra_roots`, a certificate in `extra_roots`
/// accepted as the server's own (see the module comment), HTTP/1.1.
pub fn client_config(
    extra_roots: Vec<CertificateDer<'static>>,
    identity: Option<ClientIdentity>,
) -> Result<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = Arc::new(Verifier::new(extra_roots, provider.clone())?);
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("no TLS protocol version available")?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let mut config = match identity {
        Some(id) => builder
            .with_client_auth_cert(id.certs, id.key)
            .context("the client certificate and key do not belong together")?,
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

#[derive(Debug)]
struct Verifier {
    /// The platform verifier (system roots + extra roots); `None` when there are no roots at
    /// all, so that every certificate is untrusted (a plain-HTTP address still works).
    inner: Option<Arc<dyn ServerCertVerifier>>,
    /// The certificates of the user's CA files, each acceptable as the server's own.
    pinned: Vec<CertificateDer<'static>>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl Verifier {
    fn new(
        extra_roots: Vec<CertificateDer<'static>>,
        provider: Arc<CryptoProvider>,
    ) -> Result<Self> {
        let algorithms = provider.signature_verification_algorithms;
        let inner: Option<Arc<dyn ServerCertVerifier>> =
            match rustls_platform_verifier::Verifier::new_with_extra_roots(
                extra_roots.clone(),
                provider.clone(),
            ) {
                Ok(v) => Some(Arc::new(v)),
                // No system roots (a bare container): the user's CA files alone.
                Err(_) if !extra_roots.is_empty() => {
                    let mut store = rustls::RootCertStore::empty();
                    for cert in &extra_roots {
                        store
                            .add(cert.clone())
                            .context("a CA file holds an unusable certificate")?;
                    }
                    Some(
                        rustls::client::WebPkiServerVerifier::builder_with_provider(
                            Arc::new(store),
                            provider,
                        )
                        .build()
                        .context("could not set up TLS verification")?,
                    )
                }
                Err(_) => None,
            };
        Ok(Self {
            inner,
            pinned: extra_roots,
            algorithms,
        })
    }
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let refused = match &self.inner {
            Some(v) => {
                match v.verify_server_cert(
                    end_entity,
                    intermediates,
                    server_name,
                    ocsp_response,
                    now,
                ) {
                    Ok(ok) => return Ok(ok),
                    Err(e) => e,
                }
            }
            None => CertificateError::UnknownIssuer.into(),
        };
        let pinned = self
            .pinned
            .iter()
            .any(|c| c.as_ref() == end_entity.as_ref());
        if pinned && is_ca_used_as_end_entity(&refused) {
            verify_pinned(end_entity, server_name, now)
        } else {
            Err(refused)
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

fn is_ca_used_as_end_entity(e: &rustls::Error) -> bool {
    matches!(
        e,
        rustls::Error::InvalidCertificate(CertificateError::Other(other))
            if matches!(other.0.downcast_ref::<webpki::Error>(), Some(webpki::Error::CaUsedAsEndEntity))
    )
}

/// A certificate the user trusts byte for byte: what remains to check is that it is for this
/// host and valid now (the chain is the certificate itself).
fn verify_pinned(
    cert: &CertificateDer<'_>,
    server_name: &ServerName<'_>,
    now: UnixTime,
) -> Result<ServerCertVerified, rustls::Error> {
    let parsed = rustls::server::ParsedCertificate::try_from(cert)?;
    rustls::client::verify_server_name(&parsed, server_name)?;
    let (not_before, not_after) = validity(cert.as_ref()).ok_or(CertificateError::BadEncoding)?;
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(now.as_secs());
    if now < not_before {
        return Err(CertificateError::NotValidYet.into());
    }
    if now > not_after {
        return Err(CertificateError::Expired.into());
    }
    Ok(ServerCertVerified::assertion())
}

/// `notBefore` and `notAfter` of a DER X.509 certificate.
///
/// Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version OPTIONAL, serial INTEGER,
/// signature SEQUENCE, issuer SEQUENCE, validity SEQUENCE { notBefore, notAfter }, … }, … }
pub fn validity(der: &[u8]) -> Option<(SystemTime, SystemTime)> {
    let (tag, cert, _) = tlv(der)?;
    if tag != 0x30 {
        return None;
    }
    let (tag, tbs, _) = tlv(cert)?;
    if tag != 0x30 {
        return None;
    }
    let (mut tag, mut body, mut rest) = tlv(tbs)?;
    if tag == 0xa0 {
        (tag, body, rest) = tlv(rest)?;
    }
    // serial, signature, issuer
    for want in [0x02, 0x30, 0x30] {
        if tag != want {
            return None;
        }
        (tag, body, rest) = tlv(rest)?;
    }
    if tag != 0x30 {
        return None;
    }
    let (before_tag, before, after_not_before) = tlv(body)?;
    let (after_tag, after, _) = tlv(after_not_before)?;
    Some((der_time(before_tag, before)?, der_time(after_tag, after)?))
}

/// A UTCTime (0x17) or GeneralizedTime (0x18) in the `Z` form certificates use.
fn der_time(tag: u8, bytes: &[u8]) -> Option<SystemTime> {
    let text = std::str::from_utf8(bytes).ok()?.strip_suffix('Z')?;
    let (year, rest) = match tag {
        0x17 => {
            let yy: i64 = text.get(..2)?.parse().ok()?;
            (if yy < 50 { 2000 + yy } else { 1900 + yy }, text.get(2..)?)
        }
        0x18 => (text.get(..4)?.parse().ok()?, text.get(4..)?),
        _ => return None,
    };
    let num = |r: std::ops::Range<usize>| rest.get(r)?.parse::<u32>().ok();
    unix_time(
        year,
        num(0..2)?,
        num(2..4)?,
        num(4..6)?,
        num(6..8)?,
        num(8..10)?,
    )
}

/// One DER TLV: (tag, contents, the bytes after it).
fn tlv(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let tag = *b.first()?;
    let first = *b.get(1)?;
    let (len, start) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for i in 0..n {
            len = (len << 8) | usize::from(*b.get(2 + i)?);
        }
        (len, 2 + n)
    };
    let end = start.checked_add(len)?;
    Some((tag, b.get(start..end)?, b.get(end..)?))
}

/// Seconds since the epoch for a UTC calendar time (Howard Hinnant's days_from_civil).
pub fn unix_time(year: i64, month: u32, day: u32, h: u32, m: u32, s: u32) -> Option<SystemTime> {
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || h > 23 || m > 59 || s > 60 {
        return None;
    }
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (i64::from(month) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + i64::from(h) * 3600 + i64::from(m) * 60 + i64::from(s);
    let secs = u64::try_from(secs).ok()?;
    Some(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_identity_loads_and_a_foreign_key_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["client".to_owned()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let (cert_path, key_path) = (dir.path().join("c.pem"), dir.path().join("k.pem"));
        std::fs::write(&cert_path, cert.pem()).unwrap();
        std::fs::write(&key_path, key.serialize_pem()).unwrap();
        let id = read_identity(&cert_path, &key_path).unwrap();
        assert!(client_config(Vec::new(), Some(id)).is_ok());

        let other = rcgen::KeyPair::generate().unwrap();
        std::fs::write(&key_path, other.serialize_pem()).unwrap();
        let id = read_identity(&cert_path, &key_path).unwrap();
        let err = client_config(Vec::new(), Some(id)).unwrap_err();
        assert!(
            format!("{err:#}").contains("do not belong together"),
            "{err:#}"
        );

        std::fs::write(&key_path, "not a key").unwrap();
        assert!(read_identity(&cert_path, &key_path).is_err());
    }

    #[test]
    fn reads_the_validity_of_a_real_certificate() {
        let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
        params.not_before = rcgen::date_time_ymd(2024, 2, 29);
        params.not_after = rcgen::date_time_ymd(2051, 7, 9);
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        let (before, after) = validity(cert.der()).unwrap();
        assert_eq!(before, unix_time(2024, 2, 29, 0, 0, 0).unwrap());
        assert_eq!(after, unix_time(2051, 7, 9, 0, 0, 0).unwrap());
        assert!(validity(b"\x30\x03\x02\x01\x01").is_none());
    }
}
