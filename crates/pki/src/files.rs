//! Certificate files on disk: loading a node's or person's set, and the small
//! file helpers the CA uses (refuse to overwrite, keys mode 0600).

use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use sanji_domain::Code;
use x509_parser::certificate::X509Certificate;

use crate::error::PkiError;
use crate::identity::{Identity, identity_of};
use crate::protect;

/// The CA certificate, in the CA directory and copied next to every issued certificate.
pub const CA_CERT_FILE: &str = "ca.pem";
/// The CA private key; stays in the CA directory.
pub const CA_KEY_FILE: &str = "ca-key.pem";

/// A certificate, its private key and the CA certificate, as PEM text:
/// what a node needs for mutual TLS.
#[derive(Clone, PartialEq, Eq)]
pub struct CertFiles {
    pub ca_pem: String,
    pub cert_pem: String,
    pub key_pem: String,
}

impl fmt::Debug for CertFiles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertFiles")
            .field("ca_pem", &format_args!("{} bytes", self.ca_pem.len()))
            .field("cert_pem", &format_args!("{} bytes", self.cert_pem.len()))
            .field("key_pem", &"<redacted>")
            .finish()
    }
}

impl CertFiles {
    /// Loads `<dir>/ca.pem`, `<dir>/<name>.pem` and `<dir>/<name>-key.pem`:
    /// a node's set, whose key a service reads unattended.
    ///
    /// Checks that each parses, that the key belongs to the certificate and
    /// that the certificate was issued by `ca.pem`. A missing file is named
    /// in the error together with the command that creates it. A person's
    /// set is refused here: it opens only with its owner's passphrase
    /// ([`CertFiles::load_person`]).
    pub fn load(dir: &Path, name: &str) -> Result<CertFiles, PkiError> {
        Self::load_with(dir, name, None)
    }

    /// Loads a person's set from `cert` (their `<stem>.pem`, or the stem
    /// itself), with the key beside it opened by `passphrase`. A person's key
    /// kept in clear is refused: anyone who can read it could act as them.
    pub fn load_person(cert: &Path, passphrase: &str) -> Result<CertFiles, PkiError> {
        let stem = cert
            .file_name()
            .map(|n| n.to_string_lossy().trim_end_matches(".pem").to_owned())
            .unwrap_or_default();
        let dir = match cert.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        Self::load_with(dir, &stem, Some(passphrase))
    }

    fn load_with(dir: &Path, name: &str, passphrase: Option<&str>) -> Result<CertFiles, PkiError> {
        let ca_path = dir.join(CA_CERT_FILE);
        let cert_path = dir.join(format!("{name}.pem"));
        let key_path = dir.join(format!("{name}-key.pem"));

        // ca.pem comes from the county's CA; a new CA made here would be
        // another county's, trusted by nobody.
        let ca_pem = read_text(&ca_path, || {
            format!(
                "请把县级 CA 目录中的 ca.pem(县综治办创建 CA 时生成)复制到 {};不要在本机另建 CA",
                ca_path.display()
            )
        })?;
        let issue_hint = || issue_hint(dir, name);
        let cert_pem = read_text(&cert_path, issue_hint)?;
        let stored_key = read_text(&key_path, issue_hint)?;

        let ca_der = pem_cert_der(&ca_path, &ca_pem)?;
        let ca = parse_cert(&ca_path, &ca_der)?;
        let cert_der = pem_cert_der(&cert_path, &cert_pem)?;
        let cert = parse_cert(&cert_path, &cert_der)?;
        if cert.issuer().as_raw() != ca.subject().as_raw() {
            return Err(PkiError::NotIssuedByCa {
                cert: cert_path,
                ca: ca_path,
            });
        }
        let is_person = matches!(identity_of(&cert), Ok(Identity::Person { .. }));
        let key_pem = match (protect::is_protected(&stored_key), passphrase) {
            (true, Some(passphrase)) => {
                protect::open_key_pem(&key_path, &stored_key, passphrase)?.to_string()
            }
            (true, None) => return Err(PkiError::KeyNeedsPassphrase { path: key_path }),
            (false, _) if is_person => {
                return Err(PkiError::UnprotectedPersonKey { path: key_path });
            }
            (false, _) => stored_key,
        };
        check_key_matches(&key_path, &key_pem, &cert_path, &cert)?;
        Ok(CertFiles {
            ca_pem,
            cert_pem,
            key_pem,
        })
    }

    /// The DNS names and IP addresses the certificate (its leaf) is valid for:
    /// what a browser checks the address it was given against.
    pub fn server_names(&self) -> Result<Vec<String>, PkiError> {
        let (_, pem) = x509_parser::pem::parse_x509_pem(self.cert_pem.as_bytes()).map_err(|e| {
            PkiError::BadCert {
                reason: format!("证书 PEM 无法解析({e})"),
            }
        })?;
        let (_, cert) =
            x509_parser::parse_x509_certificate(&pem.contents).map_err(|e| PkiError::BadCert {
                reason: format!("不是有效的 X.509 证书({e})"),
            })?;
        let mut names = Vec::new();
        if let Ok(Some(san)) = cert.subject_alternative_name() {
            for name in &san.value.general_names {
                match name {
                    x509_parser::extensions::GeneralName::DNSName(dns) => {
                        names.push((*dns).to_owned())
                    }
                    x509_parser::extensions::GeneralName::IPAddress(bytes) => {
                        let ip = match bytes.len() {
                            4 => <[u8; 4]>::try_from(*bytes).map(std::net::IpAddr::from).ok(),
                            16 => <[u8; 16]>::try_from(*bytes)
                                .map(std::net::IpAddr::from)
                                .ok(),
                            _ => None,
                        };
                        names.extend(ip.map(|ip| ip.to_string()));
                    }
                    _ => {}
                }
            }
        }
        Ok(names)
    }

    /// The identity in `cert_pem` (its first certificate, the leaf).
    pub fn identity(&self) -> Result<Identity, PkiError> {
        let (_, pem) = x509_parser::pem::parse_x509_pem(self.cert_pem.as_bytes()).map_err(|e| {
            PkiError::BadCert {
                reason: format!("证书 PEM 无法解析({e})"),
            }
        })?;
        if pem.label != "CERTIFICATE" {
            return Err(PkiError::BadCert {
                reason: format!("PEM 块类型是 {:?},应为 \"CERTIFICATE\"", pem.label),
            });
        }
        let (_, cert) =
            x509_parser::parse_x509_certificate(&pem.contents).map_err(|e| PkiError::BadCert {
                reason: format!("不是有效的 X.509 证书({e})"),
            })?;
        identity_of(&cert)
    }
}

/// The node certificates in `dir` (`<code>.pem` beside its `<code>-key.pem`),
/// with the code each certificate itself names, in file-name order: for
/// telling a clerk which code the certificate folder is really for.
pub fn node_certificates(dir: &Path) -> Vec<(Code, PathBuf)> {
    let Ok(entries) = fs::read_dir(dir) else {
        return vec![];
    };
    let mut found: Vec<(Code, PathBuf)> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "pem"))
        .filter_map(|path| {
            let pem = fs::read_to_string(&path).ok()?;
            let files = CertFiles {
                ca_pem: String::new(),
                cert_pem: pem,
                key_pem: String::new(),
            };
            match files.identity().ok()? {
                Identity::Node(code) => Some((code, path)),
                Identity::Person { .. } => None,
            }
        })
        .collect();
    found.sort_by(|a, b| a.1.cmp(&b.1));
    found
}

fn issue_hint(dir: &Path, name: &str) -> String {
    match Code::parse(name) {
        Ok(code) => format!(
            "请在县级 CA 上为 {code} 签发节点证书(sanji pki issue node),放到 {}",
            dir.display()
        ),
        Err(_) => format!(
            "请在县级 CA 上为此人签发个人证书(sanji pki issue person),放到 {}",
            dir.display()
        ),
    }
}

/// Reads a text file; a missing file becomes [`PkiError::Missing`] with `hint`.
pub(crate) fn read_text(path: &Path, hint: impl FnOnce() -> String) -> Result<String, PkiError> {
    match fs::read_to_string(path) {
        Ok(text) => Ok(text),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Err(PkiError::Missing {
            path: path.to_owned(),
            hint: hint(),
        }),
        Err(source) => Err(PkiError::Io {
            path: path.to_owned(),
            source,
        }),
    }
}

/// The DER bytes of the first `CERTIFICATE` block of a PEM text.
pub(crate) fn pem_cert_der(path: &Path, pem_text: &str) -> Result<Vec<u8>, PkiError> {
    let bad = |reason: String| PkiError::BadFile {
        path: path.to_owned(),
        what: "PEM 证书",
        reason,
    };
    let (_, pem) = x509_parser::pem::parse_x509_pem(pem_text.as_bytes())
        .map_err(|e| bad(format!("PEM 无法解析({e})")))?;
    if pem.label != "CERTIFICATE" {
        return Err(bad(format!(
            "PEM 块类型是 {:?},应为 \"CERTIFICATE\"",
            pem.label
        )));
    }
    Ok(pem.contents)
}

pub(crate) fn parse_cert<'a>(path: &Path, der: &'a [u8]) -> Result<X509Certificate<'a>, PkiError> {
    x509_parser::parse_x509_certificate(der)
        .map(|(_, cert)| cert)
        .map_err(|e| PkiError::BadFile {
            path: path.to_owned(),
            what: "X.509 证书",
            reason: e.to_string(),
        })
}

/// Parses the private key and checks it belongs to `cert`.
pub(crate) fn check_key_matches(
    key_path: &Path,
    key_pem: &str,
    cert_path: &Path,
    cert: &X509Certificate<'_>,
) -> Result<rcgen::KeyPair, PkiError> {
    let key = rcgen::KeyPair::from_pem(key_pem).map_err(|e| PkiError::BadFile {
        path: key_path.to_owned(),
        what: "PEM 私钥",
        reason: e.to_string(),
    })?;
    if key.public_key_raw() != cert.public_key().subject_public_key.data.as_ref() {
        return Err(PkiError::KeyMismatch {
            key: key_path.to_owned(),
            cert: cert_path.to_owned(),
        });
    }
    Ok(key)
}

/// True when something (even a dangling symlink) is at `path`.
pub(crate) fn occupied(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok()
}

/// Fails with [`PkiError::AlreadyExists`] on the first path that is taken.
pub(crate) fn refuse_existing<'a>(
    paths: impl IntoIterator<Item = &'a Path>,
) -> Result<(), PkiError> {
    match paths.into_iter().find(|p| occupied(p)) {
        Some(path) => Err(PkiError::AlreadyExists {
            path: path.to_owned(),
        }),
        None => Ok(()),
    }
}

pub(crate) fn create_dir(dir: &Path) -> Result<(), PkiError> {
    fs::create_dir_all(dir).map_err(|source| PkiError::Io {
        path: dir.to_owned(),
        source,
    })
}

/// One file to write: path, contents, and whether it is a private key (mode 0600).
pub(crate) struct NewFile {
    pub path: PathBuf,
    pub contents: String,
    pub private: bool,
}

/// Writes every file, never overwriting; on failure removes the ones already
/// written so a half-issued set is not left behind. Returns the paths written.
pub(crate) fn write_all_new(files: Vec<NewFile>) -> Result<Vec<PathBuf>, PkiError> {
    let mut written = Vec::with_capacity(files.len());
    for file in files {
        if let Err(e) = write_new(&file.path, &file.contents, file.private) {
            for path in &written {
                // Best effort: the error that matters is `e`.
                let _ = fs::remove_file(path);
            }
            return Err(e);
        }
        written.push(file.path);
    }
    Ok(written)
}

fn write_new(path: &Path, contents: &str, private: bool) -> Result<(), PkiError> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(if private { 0o600 } else { 0o644 });
    }
    #[cfg(not(unix))]
    let _ = private;
    let io_err = |source: io::Error| {
        if source.kind() == io::ErrorKind::AlreadyExists {
            PkiError::AlreadyExists {
                path: path.to_owned(),
            }
        } else {
            PkiError::Io {
                path: path.to_owned(),
                source,
            }
        }
    };
    let mut file = options.open(path).map_err(io_err)?;
    let result = file
        .write_all(contents.as_bytes())
        .and_then(|()| file.sync_all());
    if let Err(source) = result {
        drop(file);
        let _ = fs::remove_file(path);
        return Err(PkiError::Io {
            path: path.to_owned(),
            source,
        });
    }
    Ok(())
}
