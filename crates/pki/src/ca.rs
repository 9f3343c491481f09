//! The county CA: creating it and issuing node and person certificates.

use std::fs;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};
use sanji_domain::{Code, Level};
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

use crate::error::PkiError;
use crate::files::{
    CA_CERT_FILE, CA_KEY_FILE, NewFile, check_key_matches, create_dir, occupied, parse_cert,
    pem_cert_der, read_text, refuse_existing, write_all_new,
};
use crate::identity::{CA_PREFIX, Identity, PersonRole, check_name, check_role_level, uri_sans};

/// CA validity: about 20 years.
const CA_VALIDITY: Duration = Duration::days(20 * 365 + 5);
/// Node and person certificate validity: about 5 years (never past the CA's end).
const LEAF_VALIDITY: Duration = Duration::days(5 * 365 + 1);
/// Back-dating of `not_before`, so a slightly slow clock elsewhere still accepts a new certificate.
const CLOCK_SKEW: Duration = Duration::hours(1);
/// The organisation written into every subject.
const ORG: &str = "sanji";

/// The DNS name a client should use to reach the node `code`: `<code>.sanji`.
///
/// Every node certificate carries this name, so a client that connects with
/// it as the TLS domain name accepts only the node it meant to reach.
pub fn server_name(code: &Code) -> String {
    format!("{code}.sanji")
}

/// Creates `<dir>/ca.pem` and `<dir>/ca-key.pem` (mode 0600) for the CA of `county`.
///
/// Refuses if either file exists. The CA certificate carries the URI SAN
/// `sanji://ca/<county>`, which later issuing reads back.
pub fn init_ca(dir: &Path, county: &Code) -> Result<(), PkiError> {
    if county.level() != Level::County {
        return Err(PkiError::NotCounty {
            code: county.as_str().to_owned(),
            level: county.level().label(),
        });
    }
    let cert_path = dir.join(CA_CERT_FILE);
    let key_path = dir.join(CA_KEY_FILE);
    refuse_existing([cert_path.as_path(), key_path.as_path()])?;
    create_dir(dir)?;

    let key = KeyPair::generate()?;
    let mut params = CertificateParams::default();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::OrganizationName, ORG);
    // Two CAs of one county (say, one re-created after a lost key) get
    // different names, so a certificate is never mistaken for the other's.
    params.distinguished_name.push(
        DnType::OrganizationalUnitName,
        format!("密钥 {}", short_hash(key.public_key_raw())),
    );
    params
        .distinguished_name
        .push(DnType::CommonName, format!("sanji 县级 CA {county}"));
    params.subject_alt_names = vec![uri_san(&format!("{CA_PREFIX}{county}"))?];
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let now = OffsetDateTime::now_utc();
    params.not_before = now - CLOCK_SKEW;
    params.not_after = now + CA_VALIDITY;

    let cert = params.self_signed(&key)?;
    write_all_new(vec![
        NewFile {
            path: key_path,
            contents: key.serialize_pem(),
            private: true,
        },
        NewFile {
            path: cert_path,
            contents: cert.pem(),
            private: false,
        },
    ])?;
    Ok(())
}

/// The county of the CA in `ca_dir`, read from its certificate's URI SAN `sanji://ca/<county>`.
pub fn ca_county(ca_dir: &Path) -> Result<Code, PkiError> {
    let cert_path = ca_dir.join(CA_CERT_FILE);
    let pem = read_text(&cert_path, || init_hint(ca_dir))?;
    let der = pem_cert_der(&cert_path, &pem)?;
    let cert = parse_cert(&cert_path, &der)?;
    county_of_ca(&cert_path, &cert)
}

/// Issues a node certificate for `code`, signed by the CA in `ca_dir`.
///
/// Writes `<out_dir>/<code>.pem`, `<out_dir>/<code>-key.pem` (mode 0600) and a
/// copy of `ca.pem` (unless `out_dir` is `ca_dir`, or already holds this very
/// `ca.pem`). Refuses to overwrite anything. Returns the paths written.
///
/// SANs: URI `sanji://node/<code>`, DNS `<code>.sanji`, DNS `localhost`, and
/// each of `extra_dns` (an IP address there becomes an IP SAN).
/// EKU serverAuth + clientAuth.
pub fn issue_node(
    ca_dir: &Path,
    code: &Code,
    out_dir: &Path,
    extra_dns: &[String],
) -> Result<Vec<PathBuf>, PkiError> {
    let mut alt_names = vec![uri_san(&Identity::Node(code.clone()).uri())?];
    let mut dns: Vec<String> = vec![server_name(code), "localhost".to_owned()];
    for name in extra_dns {
        let name = check_dns_name(name)?;
        if !dns.contains(&name) {
            dns.push(name);
        }
    }
    for name in dns {
        alt_names.push(match name.parse::<IpAddr>() {
            Ok(ip) => SanType::IpAddress(ip),
            Err(_) => SanType::DnsName(name.as_str().try_into().map_err(|e: rcgen::Error| {
                PkiError::BadDnsName {
                    name: name.clone(),
                    reason: e.to_string(),
                }
            })?),
        });
    }

    let ca = Ca::load(ca_dir)?;
    ca.check_covers(code)?;

    let mut params = leaf_params(&ca, format!("sanji 站点 {code}"), None);
    params.subject_alt_names = alt_names;
    params.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ServerAuth,
        ExtendedKeyUsagePurpose::ClientAuth,
    ];
    ca.issue(&params, out_dir, code.as_str(), None)
}

/// Issues a person certificate for `name` in `role` at the unit `code`.
///
/// The name is trimmed, then must be 1..=50 characters without control
/// characters. Operators, directors and unit staff belong to a township code,
/// village staff to a village code; the code must lie under the CA's county.
///
/// URI SAN `sanji://person/<code>/<role-id>/<percent-encoded name>`, EKU
/// clientAuth only. Files `<out_dir>/<stem>.pem`, `<out_dir>/<stem>-key.pem`
/// (0600, encrypted under `passphrase`, which only the person should know)
/// and a copy of `ca.pem`, where the stem is
/// `<code>-<role-id>-<first 16 hex digits of SHA-256 of the name>`.
/// Returns the stem and the paths written.
pub fn issue_person(
    ca_dir: &Path,
    code: &Code,
    role: PersonRole,
    name: &str,
    out_dir: &Path,
    passphrase: &str,
) -> Result<(String, Vec<PathBuf>), PkiError> {
    crate::protect::check_passphrase(passphrase)?;
    let name = name.trim();
    check_name(name).map_err(|reason| PkiError::BadName {
        name: name.to_owned(),
        reason,
    })?;
    check_role_level(role, code)?;
    let identity = Identity::Person {
        code: code.clone(),
        role,
        name: name.to_owned(),
    };
    let uri = uri_san(&identity.uri())?;

    let ca = Ca::load(ca_dir)?;
    ca.check_covers(code)?;

    let stem = person_file_stem(code, role, name);
    let mut params = leaf_params(
        &ca,
        name.to_owned(),
        Some(format!("{code} {}", role.label())),
    );
    params.subject_alt_names = vec![uri];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let paths = ca.issue(&params, out_dir, &stem, Some(passphrase))?;
    Ok((stem, paths))
}

/// `<code>-<role-id>-<16 hex digits of SHA-256(name)>`: ASCII, short, and
/// distinct for names that share a long prefix.
fn person_file_stem(code: &Code, role: PersonRole, name: &str) -> String {
    format!("{code}-{}-{}", role.id(), short_hash(name.as_bytes()))
}

/// The first 16 hex digits of SHA-256 of `bytes`.
fn short_hash(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn init_hint(dir: &Path) -> String {
    format!(
        "{} 里还没有县级 CA:请先在这里用 sanji pki init 为本县创建 CA(只在县里做一次)",
        dir.display()
    )
}

fn uri_san(uri: &str) -> Result<SanType, PkiError> {
    Ok(SanType::URI(uri.try_into()?))
}

/// Letters, digits, `-`, `.` (and a leading `*.`), or an IP address.
fn check_dns_name(name: &str) -> Result<String, PkiError> {
    let bad = |reason: &str| PkiError::BadDnsName {
        name: name.to_owned(),
        reason: reason.to_owned(),
    };
    let lower = name.trim().to_ascii_lowercase();
    if lower.parse::<IpAddr>().is_ok() {
        return Ok(lower);
    }
    if lower.is_empty() || lower.len() > 253 {
        return Err(bad("长度须为 1 到 253 个字符"));
    }
    let body = lower.strip_prefix("*.").unwrap_or(&lower);
    for label in body.split('.') {
        if label.is_empty() || label.len() > 63 {
            return Err(bad("每一段须为 1 到 63 个字符,且不能有连续的点"));
        }
        if !label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return Err(bad(
                "只能含英文字母、数字、连字符和点(中文域名请先转为 xn-- 形式)",
            ));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(bad("每一段不能以连字符开头或结尾"));
        }
    }
    Ok(lower)
}

/// Common parameters of node and person certificates.
fn leaf_params(ca: &Ca, common_name: String, unit: Option<String>) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::OrganizationName, ORG);
    if let Some(unit) = unit {
        params
            .distinguished_name
            .push(DnType::OrganizationalUnitName, unit);
    }
    params
        .distinguished_name
        .push(DnType::CommonName, common_name);
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.use_authority_key_identifier_extension = true;
    let now = OffsetDateTime::now_utc();
    params.not_before = now - CLOCK_SKEW;
    params.not_after = (now + LEAF_VALIDITY).min(ca.not_after);
    params
}

fn county_of_ca(
    path: &Path,
    cert: &x509_parser::certificate::X509Certificate<'_>,
) -> Result<Code, PkiError> {
    let bad = |reason: String| PkiError::BadFile {
        path: path.to_owned(),
        what: "sanji 县级 CA 证书",
        reason,
    };
    if !cert.is_ca() {
        return Err(bad("它不是 CA 证书(basicConstraints 中没有 CA:TRUE)".into()));
    }
    let uris = uri_sans(cert)?;
    let mut counties = uris.iter().filter_map(|u| u.strip_prefix(CA_PREFIX));
    let (Some(text), None) = (counties.next(), counties.next()) else {
        return Err(bad(format!(
            "须有且只有一个 {CA_PREFIX}<县代码> 形式的 URI SAN;请用 sanji pki init 生成 CA"
        )));
    };
    let county = Code::parse(text).map_err(|e| bad(e.to_string()))?;
    if county.level() != Level::County {
        return Err(bad(format!("{CA_PREFIX}{text} 不是县级代码")));
    }
    Ok(county)
}

/// A loaded county CA, ready to sign.
struct Ca {
    county: Code,
    cert_pem: String,
    not_after: OffsetDateTime,
    issuer: Issuer<'static, KeyPair>,
}

impl Ca {
    fn load(ca_dir: &Path) -> Result<Ca, PkiError> {
        let cert_path = ca_dir.join(CA_CERT_FILE);
        let key_path = ca_dir.join(CA_KEY_FILE);
        let cert_pem = read_text(&cert_path, || init_hint(ca_dir))?;
        let key_pem = read_text(&key_path, || {
            format!(
                "签发证书须在存放 CA 私钥的县级 CA 目录上进行;若尚未建立 CA,{}",
                init_hint(ca_dir)
            )
        })?;
        let der = pem_cert_der(&cert_path, &cert_pem)?;
        let cert = parse_cert(&cert_path, &der)?;
        let county = county_of_ca(&cert_path, &cert)?;
        let key = check_key_matches(&key_path, &key_pem, &cert_path, &cert)?;
        let not_after = cert.validity().not_after.to_datetime();
        if not_after <= OffsetDateTime::now_utc() {
            return Err(PkiError::BadFile {
                path: cert_path,
                what: "有效的 CA 证书",
                reason: format!("它已于 {not_after} 过期;请新建 CA 并重新签发全部证书"),
            });
        }
        let issuer = Issuer::from_ca_cert_der(&der.as_slice().into(), key)?;
        Ok(Ca {
            county,
            cert_pem,
            not_after,
            issuer,
        })
    }

    /// `code` is the CA's county or lies under it.
    fn check_covers(&self, code: &Code) -> Result<(), PkiError> {
        if code == &self.county || code.is_under(&self.county) {
            Ok(())
        } else {
            Err(PkiError::OutsideCounty {
                code: code.as_str().to_owned(),
                county: self.county.as_str().to_owned(),
            })
        }
    }

    /// Signs `params` with a fresh key and writes `<stem>.pem`, `<stem>-key.pem`
    /// and `ca.pem` into `out_dir`.
    fn issue(
        &self,
        params: &CertificateParams,
        out_dir: &Path,
        stem: &str,
        key_passphrase: Option<&str>,
    ) -> Result<Vec<PathBuf>, PkiError> {
        let cert_path = out_dir.join(format!("{stem}.pem"));
        let key_path = out_dir.join(format!("{stem}-key.pem"));
        let ca_copy = out_dir.join(CA_CERT_FILE);
        refuse_existing([cert_path.as_path(), key_path.as_path()])?;
        // An identical ca.pem (always the case when out_dir is ca_dir) is kept as it is.
        let copy_ca = if occupied(&ca_copy) {
            let existing = fs::read_to_string(&ca_copy).map_err(|source| PkiError::Io {
                path: ca_copy.clone(),
                source,
            })?;
            if existing != self.cert_pem {
                return Err(PkiError::OtherCa { path: ca_copy });
            }
            false
        } else {
            true
        };

        let key = KeyPair::generate()?;
        let cert = params.signed_by(&key, &self.issuer)?;
        let key_pem = match key_passphrase {
            Some(passphrase) => {
                crate::protect::protect_key_pem(&key_path, &key.serialize_pem(), passphrase)?
            }
            None => key.serialize_pem(),
        };
        create_dir(out_dir)?;
        let mut files = vec![
            NewFile {
                path: key_path,
                contents: key_pem,
                private: true,
            },
            NewFile {
                path: cert_path,
                contents: cert.pem(),
                private: false,
            },
        ];
        if copy_ca {
            files.push(NewFile {
                path: ca_copy,
                contents: self.cert_pem.clone(),
                private: false,
            });
        }
        write_all_new(files)
    }
}
