//! A person's private key under their own passphrase.
//!
//! A person certificate lets its holder act as that person, so its key is
//! never kept in clear: it is written as an encrypted PKCS#8 document
//! (`ENCRYPTED PRIVATE KEY`, PBES2 with scrypt and AES-256-CBC, which OpenSSL
//! and other tools read too) and opened only with the passphrase its owner
//! types. Whoever can read the file but does not know the passphrase cannot
//! act as its owner.

use std::path::Path;

use pkcs8::der::pem::PemLabel;
use pkcs8::pkcs5::pbes2;
use pkcs8::pkcs5::scrypt;
use pkcs8::rand_core::{OsRng, RngCore};
use pkcs8::{EncryptedPrivateKeyInfo, LineEnding, PrivateKeyInfo, SecretDocument};
use zeroize::Zeroizing;

use crate::PkiError;

/// The shortest passphrase accepted for a person's key.
pub const MIN_PASSPHRASE_CHARS: usize = 8;

/// scrypt with N = 2^15, r = 8, p = 1: 32 MiB and a fraction of a second to
/// open, once per command; a guess costs an attacker the same.
const SCRYPT_LOG_N: u8 = 15;

/// Whether a PEM text holds an encrypted private key.
pub fn is_protected(key_pem: &str) -> bool {
    key_pem.trim_start().starts_with(&format!(
        "-----BEGIN {}-----",
        EncryptedPrivateKeyInfo::PEM_LABEL
    ))
}

/// Checks a new passphrase before a key is put under it.
pub fn check_passphrase(passphrase: &str) -> Result<(), PkiError> {
    if passphrase.chars().count() < MIN_PASSPHRASE_CHARS {
        return Err(PkiError::WeakPassphrase {
            min: MIN_PASSPHRASE_CHARS,
        });
    }
    Ok(())
}

/// Encrypts a plain PKCS#8 PEM key (`PRIVATE KEY`) under `passphrase`.
pub fn protect_key_pem(path: &Path, plain_pem: &str, passphrase: &str) -> Result<String, PkiError> {
    check_passphrase(passphrase)?;
    let bad = |reason: String| PkiError::BadFile {
        path: path.to_owned(),
        what: "PEM 私钥",
        reason,
    };
    let (label, document) =
        SecretDocument::from_pem(plain_pem).map_err(|e| bad(format!("PEM 无法解析({e})")))?;
    if label != PrivateKeyInfo::PEM_LABEL {
        return Err(bad(format!(
            "PEM 块类型是 {label:?},应为 {:?}",
            PrivateKeyInfo::PEM_LABEL
        )));
    }
    let info = PrivateKeyInfo::try_from(document.as_bytes())
        .map_err(|e| bad(format!("不是 PKCS#8 私钥({e})")))?;
    let mut salt = [0u8; 16];
    let mut iv = [0u8; 16];
    OsRng.fill_bytes(&mut salt);
    OsRng.fill_bytes(&mut iv);
    let cost = scrypt::Params::new(SCRYPT_LOG_N, 8, 1, 32)
        .map_err(|e| bad(format!("加密参数无效({e})")))?;
    let params = pbes2::Parameters::scrypt_aes256cbc(cost, &salt, &iv)
        .map_err(|e| bad(format!("加密参数无效({e})")))?;
    let encrypted = info
        .encrypt_with_params(params, passphrase.as_bytes())
        .map_err(|e| bad(format!("加密失败({e})")))?;
    let pem = encrypted
        .to_pem(EncryptedPrivateKeyInfo::PEM_LABEL, LineEnding::LF)
        .map_err(|e| bad(format!("写成 PEM 失败({e})")))?;
    Ok(pem.to_string())
}

/// Opens an encrypted key with `passphrase`, giving the plain PKCS#8 PEM
/// (kept in memory only, wiped when dropped).
pub fn open_key_pem(
    path: &Path,
    encrypted_pem: &str,
    passphrase: &str,
) -> Result<Zeroizing<String>, PkiError> {
    let bad = |reason: String| PkiError::BadFile {
        path: path.to_owned(),
        what: "加密私钥",
        reason,
    };
    let (label, document) =
        pkcs8::Document::from_pem(encrypted_pem).map_err(|e| bad(format!("PEM 无法解析({e})")))?;
    if label != EncryptedPrivateKeyInfo::PEM_LABEL {
        return Err(bad(format!(
            "PEM 块类型是 {label:?},应为 {:?}",
            EncryptedPrivateKeyInfo::PEM_LABEL
        )));
    }
    let info = EncryptedPrivateKeyInfo::try_from(document.as_bytes())
        .map_err(|e| bad(format!("不是加密的 PKCS#8 私钥({e})")))?;
    // A wrong passphrase and a damaged file both fail the padding check; the
    // passphrase is by far the likelier, and the file can be reissued.
    let plain = info
        .decrypt(passphrase.as_bytes())
        .map_err(|_| PkiError::WrongPassphrase {
            path: path.to_owned(),
        })?;
    let pem = plain
        .to_pem(PrivateKeyInfo::PEM_LABEL, LineEnding::LF)
        .map_err(|e| bad(format!("写成 PEM 失败({e})")))?;
    Ok(pem)
}

/// Puts a key file kept in clear under `passphrase`, in place: the clear
/// text is replaced in one rename, so the file is never half-written.
pub fn protect_key_file(key_path: &Path, passphrase: &str) -> Result<(), PkiError> {
    let io = |source: std::io::Error| PkiError::Io {
        path: key_path.to_owned(),
        source,
    };
    let plain = crate::files::read_text(key_path, || "请确认私钥文件的路径".to_owned())?;
    if is_protected(&plain) {
        return Err(PkiError::AlreadyProtected {
            path: key_path.to_owned(),
        });
    }
    let protected = protect_key_pem(key_path, &plain, passphrase)?;
    let staged = key_path.with_extension("pem.protecting");
    let _ = std::fs::remove_file(&staged);
    crate::files::write_all_new(vec![crate::files::NewFile {
        path: staged.clone(),
        contents: protected,
        private: true,
    }])?;
    std::fs::rename(&staged, key_path).map_err(io)
}
