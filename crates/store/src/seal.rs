//! Encryption at rest for a store whose laptop may be lost.
//!
//! A sealed store encrypts every value that carries people's data (events,
//! entity projections, bookkeeping) with ChaCha20-Poly1305 under a random
//! 256-bit data key, bound to its sled key as associated data so a value
//! cannot be moved under another key. Keys, heads, the clock and counters stay
//! readable: they hold codes, sequence numbers and digests, no personal data.
//!
//! The data key itself is stored wrapped (encrypted) under a key-encryption
//! key derived from what the operator holds: the node's private key (HKDF-SHA256)
//! or a passphrase (Argon2id). A wrong key or passphrase fails the wrap's
//! authentication, so it is told apart from a damaged store before any record
//! is read. Re-keying later means re-wrapping the data key, not re-encrypting
//! the records.

use argon2::{Algorithm, Argon2, Params, Version};
use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::hkdf;
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

const KEY_LEN: usize = 32;
const SALT_LEN: usize = 16;
const TAG_LEN: usize = 16;
const WRAP_AAD: &[u8] = b"sanji data key v1";
const NODE_KEY_INFO: &[u8] = b"sanji store key-encryption key v1";

/// What opens a store: nothing (a plain store), or the material its data key is wrapped under.
#[derive(Clone, Default)]
pub enum Unlock {
    /// The store is not encrypted.
    #[default]
    Plain,
    /// The node's private key (PEM or DER bytes, as held in its certificate folder).
    NodeKey(Zeroizing<Vec<u8>>),
    /// A passphrase the operator types or supplies through the environment.
    Passphrase(Zeroizing<String>),
}

impl Unlock {
    pub fn node_key(private_key: &[u8]) -> Unlock {
        Unlock::NodeKey(Zeroizing::new(private_key.to_vec()))
    }

    pub fn passphrase(text: &str) -> Unlock {
        Unlock::Passphrase(Zeroizing::new(text.to_owned()))
    }

    pub fn is_plain(&self) -> bool {
        matches!(self, Unlock::Plain)
    }

    pub(crate) fn describe(&self) -> &'static str {
        match self {
            Unlock::Plain => "不加密",
            Unlock::NodeKey(_) => "节点私钥",
            Unlock::Passphrase(_) => "口令",
        }
    }
}

impl std::fmt::Debug for Unlock {
    // Never print key material, not even in a debug log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.describe())
    }
}

/// How the data key is wrapped, stored in the clear beside the data.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct SealRecord {
    cipher: String,
    kdf: Kdf,
    salt: String,
    wrapped_key: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Kdf {
    NodeKey,
    Argon2id {
        memory_kib: u32,
        iterations: u32,
        lanes: u32,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("此数据目录已加密(由{0}保护):请提供对应的密钥材料再打开")]
    Locked(&'static str),
    #[error("此数据目录已加密(由{expected}保护),但提供的是{given}")]
    WrongKind {
        expected: &'static str,
        given: &'static str,
    },
    #[error("密钥不对:提供的{0}解不开此数据目录的数据密钥")]
    WrongKey(&'static str),
    #[error(
        "此数据目录未加密(可能由旧版本建立),不能按加密目录({0})打开:如要继续以不加密方式使用,请在配置文件中写 encryption = \"none\""
    )]
    NotSealed(&'static str),
    #[error("加密记录无法解析:{0}")]
    BadRecord(String),
    #[error("系统随机数不可用")]
    Random,
}

/// The opened data key.
pub(crate) struct Sealer {
    key: LessSafeKey,
    /// Kept to wrap again under new material (`rewrap`); never written in the clear.
    raw: Zeroizing<[u8; KEY_LEN]>,
    random: SystemRandom,
}

impl Sealer {
    /// `nonce ‖ ciphertext ‖ tag`, authenticated together with `aad` (the value's sled key).
    pub(crate) fn seal(&self, aad: &[u8], plain: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        self.random
            .fill(&mut nonce)
            .expect("the system random source works once the store is open");
        let mut out = Vec::with_capacity(NONCE_LEN + plain.len() + TAG_LEN);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(plain);
        let mut body = out.split_off(NONCE_LEN);
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad),
                &mut body,
            )
            .expect("ChaCha20-Poly1305 seals any value sled can hold");
        out.append(&mut body);
        out
    }

    /// The plaintext of a sealed value, or `None` if it was altered, moved or sealed under another key.
    pub(crate) fn open(&self, aad: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
        if sealed.len() < NONCE_LEN + TAG_LEN {
            return None;
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut body = body.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(aad), &mut body)
            .ok()?;
        let len = plain.len();
        body.truncate(len);
        Some(body)
    }
}

fn sealer(key_bytes: &[u8]) -> Sealer {
    let key = UnboundKey::new(&CHACHA20_POLY1305, key_bytes).expect("a 256-bit key");
    let mut raw = Zeroizing::new([0u8; KEY_LEN]);
    raw.copy_from_slice(key_bytes);
    Sealer {
        key: LessSafeKey::new(key),
        raw,
        random: SystemRandom::new(),
    }
}

fn random_bytes<const N: usize>(random: &SystemRandom) -> Result<[u8; N], SealError> {
    let mut bytes = [0u8; N];
    random.fill(&mut bytes).map_err(|_| SealError::Random)?;
    Ok(bytes)
}

/// The production Argon2id cost: about 0.1 s and 19 MiB here, the OWASP minimum.
fn argon2_default() -> Kdf {
    Kdf::Argon2id {
        memory_kib: 19 * 1024,
        iterations: 2,
        lanes: 1,
    }
}

fn key_encryption_key(
    kdf: &Kdf,
    salt: &[u8],
    unlock: &Unlock,
) -> Result<Zeroizing<[u8; KEY_LEN]>, SealError> {
    let mut kek = Zeroizing::new([0u8; KEY_LEN]);
    match (kdf, unlock) {
        (Kdf::NodeKey, Unlock::NodeKey(material)) => {
            let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, salt).extract(material);
            prk.expand(&[NODE_KEY_INFO], hkdf::HKDF_SHA256)
                .and_then(|okm| okm.fill(&mut kek[..]))
                .map_err(|_| SealError::BadRecord("HKDF 输出长度".into()))?;
        }
        (
            Kdf::Argon2id {
                memory_kib,
                iterations,
                lanes,
            },
            Unlock::Passphrase(text),
        ) => {
            let params = Params::new(*memory_kib, *iterations, *lanes, Some(KEY_LEN))
                .map_err(|e| SealError::BadRecord(format!("Argon2 参数:{e}")))?;
            Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
                .hash_password_into(text.as_bytes(), salt, &mut kek[..])
                .map_err(|e| SealError::BadRecord(format!("Argon2:{e}")))?;
        }
        (kdf, Unlock::Plain) => return Err(SealError::Locked(kdf_name(kdf))),
        (kdf, given) => {
            return Err(SealError::WrongKind {
                expected: kdf_name(kdf),
                given: given.describe(),
            });
        }
    }
    Ok(kek)
}

fn kdf_name(kdf: &Kdf) -> &'static str {
    match kdf {
        Kdf::NodeKey => "节点私钥",
        Kdf::Argon2id { .. } => "口令",
    }
}

/// A new random data key wrapped under `unlock`; `None` for a plain store.
pub(crate) fn create(unlock: &Unlock) -> Result<Option<(Sealer, SealRecord)>, SealError> {
    create_with(unlock, argon2_default())
}

fn create_with(
    unlock: &Unlock,
    passphrase_kdf: Kdf,
) -> Result<Option<(Sealer, SealRecord)>, SealError> {
    let kdf = match unlock {
        Unlock::Plain => return Ok(None),
        Unlock::NodeKey(_) => Kdf::NodeKey,
        Unlock::Passphrase(_) => passphrase_kdf,
    };
    let data_key = Zeroizing::new(random_bytes::<KEY_LEN>(&SystemRandom::new())?);
    let data = sealer(&data_key[..]);
    let record = wrap(&data, kdf, unlock)?;
    Ok(Some((data, record)))
}

fn wrap(data: &Sealer, kdf: Kdf, unlock: &Unlock) -> Result<SealRecord, SealError> {
    let salt: [u8; SALT_LEN] = random_bytes(&SystemRandom::new())?;
    let kek = key_encryption_key(&kdf, &salt, unlock)?;
    let wrapped = sealer(&kek[..]).seal(WRAP_AAD, &data.raw[..]);
    Ok(SealRecord {
        cipher: "chacha20-poly1305".into(),
        kdf,
        salt: hex::encode(salt),
        wrapped_key: hex::encode(wrapped),
    })
}

/// The same data key wrapped under new material (a renewed node key, a new passphrase).
pub(crate) fn rewrap(data: &Sealer, unlock: &Unlock) -> Result<SealRecord, SealError> {
    let kdf = match unlock {
        Unlock::Plain => return Err(SealError::Locked("新的密钥材料")),
        Unlock::NodeKey(_) => Kdf::NodeKey,
        Unlock::Passphrase(_) => argon2_default(),
    };
    wrap(data, kdf, unlock)
}

/// Opens the data key of a sealed store with what the operator supplied.
pub(crate) fn open(record: &SealRecord, unlock: &Unlock) -> Result<Sealer, SealError> {
    if record.cipher != "chacha20-poly1305" {
        return Err(SealError::BadRecord(format!(
            "未知的加密算法 {}",
            record.cipher
        )));
    }
    let salt = hex::decode(&record.salt).map_err(|e| SealError::BadRecord(format!("salt:{e}")))?;
    let wrapped = hex::decode(&record.wrapped_key)
        .map_err(|e| SealError::BadRecord(format!("wrapped_key:{e}")))?;
    let kek = key_encryption_key(&record.kdf, &salt, unlock)?;
    let data_key = Zeroizing::new(
        sealer(&kek[..])
            .open(WRAP_AAD, &wrapped)
            .ok_or(SealError::WrongKey(unlock.describe()))?,
    );
    if data_key.len() != KEY_LEN {
        return Err(SealError::BadRecord("数据密钥长度不对".into()));
    }
    Ok(sealer(&data_key[..]))
}

pub(crate) fn encode_record(record: &SealRecord) -> Vec<u8> {
    serde_json::to_vec(record).expect("the seal record serialises")
}

pub(crate) fn decode_record(bytes: &[u8]) -> Result<SealRecord, SealError> {
    serde_json::from_slice(bytes).map_err(|e| SealError::BadRecord(e.to_string()))
}

/// The first line of a sealed export file.
const EXPORT_MAGIC: &[u8] = b"sanji sealed export v1\n";
const EXPORT_AAD: &[u8] = b"sanji sealed export v1";

/// `plain` encrypted for carrying away (a station's export): a fresh data key
/// sealing the bytes, wrapped under Argon2id of `passphrase`, the same
/// construction as a passphrase-protected store. [`open_export`] reverses it.
pub fn seal_export(passphrase: &str, plain: &[u8]) -> Result<Vec<u8>, SealError> {
    let (data, record) =
        create(&Unlock::passphrase(passphrase))?.expect("a passphrase always seals");
    let mut out = EXPORT_MAGIC.to_vec();
    out.extend_from_slice(&encode_record(&record));
    out.push(b'\n');
    out.extend_from_slice(&data.seal(EXPORT_AAD, plain));
    Ok(out)
}

/// Whether `bytes` look like a [`seal_export`] file (and not a plain export).
pub fn is_sealed_export(bytes: &[u8]) -> bool {
    bytes.starts_with(EXPORT_MAGIC)
}

/// The plain bytes of a [`seal_export`] file; a wrong passphrase is
/// [`SealError::WrongKey`], an altered or cut file [`SealError::BadRecord`].
pub fn open_export(passphrase: &str, sealed: &[u8]) -> Result<Vec<u8>, SealError> {
    let rest = sealed
        .strip_prefix(EXPORT_MAGIC)
        .ok_or_else(|| SealError::BadRecord("不是密封的导出文件".into()))?;
    let split = rest
        .iter()
        .position(|&b| b == b'\n')
        .ok_or_else(|| SealError::BadRecord("导出文件不完整".into()))?;
    let record = decode_record(&rest[..split])?;
    let data = open(&record, &Unlock::passphrase(passphrase))?;
    data.open(EXPORT_AAD, &rest[split + 1..])
        .ok_or_else(|| SealError::BadRecord("导出文件已损坏或被改动".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cheap Argon2 so the tests stay fast; the parameters are stored with the record.
    fn quick() -> Kdf {
        Kdf::Argon2id {
            memory_kib: 64,
            iterations: 1,
            lanes: 1,
        }
    }

    #[test]
    fn a_value_opens_only_with_its_own_key_and_place() {
        let (sealer, _) = create(&Unlock::node_key(b"node key bytes"))
            .unwrap()
            .unwrap();
        let sealed = sealer.seal(b"key-1", "王五 土地纠纷".as_bytes());
        assert!(!sealed.windows(6).any(|w| w == "王五".as_bytes()));
        assert_eq!(
            sealer.open(b"key-1", &sealed).unwrap(),
            "王五 土地纠纷".as_bytes()
        );
        assert!(sealer.open(b"key-2", &sealed).is_none(), "moved value");
        let mut flipped = sealed.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert!(sealer.open(b"key-1", &flipped).is_none(), "altered value");
        assert!(sealer.open(b"key-1", &sealed[..10]).is_none(), "truncated");
    }

    #[test]
    fn the_data_key_unwraps_with_the_right_material_only() {
        let node = Unlock::node_key(b"node key bytes");
        let (sealer, record) = create(&node).unwrap().unwrap();
        let sealed = sealer.seal(b"k", b"v");
        let reopened = open(&record, &node).unwrap();
        assert_eq!(reopened.open(b"k", &sealed).unwrap(), b"v");

        let err = open(&record, &Unlock::node_key(b"another key"))
            .err()
            .unwrap();
        assert!(matches!(err, SealError::WrongKey("节点私钥")), "{err}");
        let err = open(&record, &Unlock::Plain).err().unwrap();
        assert!(matches!(err, SealError::Locked("节点私钥")), "{err}");
        let err = open(&record, &Unlock::passphrase("x")).err().unwrap();
        assert!(matches!(err, SealError::WrongKind { .. }), "{err}");

        let phrase = Unlock::passphrase("村里的口令");
        let (_, record) = create_with(&phrase, quick()).unwrap().unwrap();
        let round_trip = decode_record(&encode_record(&record)).unwrap();
        assert!(open(&round_trip, &phrase).is_ok());
        let err = open(&round_trip, &Unlock::passphrase("错的口令"))
            .err()
            .unwrap();
        assert!(matches!(err, SealError::WrongKey("口令")), "{err}");
    }

    #[test]
    fn an_export_opens_with_its_passphrase_only_and_not_once_altered() {
        let sealed = seal_export("交接口令", "王五 土地纠纷".as_bytes()).unwrap();
        assert!(is_sealed_export(&sealed));
        assert!(!sealed.windows(6).any(|w| w == "王五".as_bytes()));
        assert_eq!(
            open_export("交接口令", &sealed).unwrap(),
            "王五 土地纠纷".as_bytes()
        );
        let err = open_export("错的口令", &sealed).unwrap_err();
        assert!(matches!(err, SealError::WrongKey("口令")), "{err}");
        let mut altered = sealed.clone();
        *altered.last_mut().unwrap() ^= 1;
        let err = open_export("交接口令", &altered).unwrap_err();
        assert!(matches!(err, SealError::BadRecord(_)), "{err}");
        assert!(open_export("交接口令", b"{\"plain\": true}").is_err());
    }

    #[test]
    fn a_plain_store_has_no_seal() {
        assert!(create(&Unlock::Plain).unwrap().is_none());
    }
}
