//! The key layout of the one sled tree. Every record lives in the default
//! tree under a one-byte prefix, so that all writes of a batch go into one
//! atomic `sled::Batch`.
//!
//! | prefix | key                                                   | value                         |
//! |--------|-------------------------------------------------------|-------------------------------|
//! | `m`    | `m` name                                              | format / node / clock / count |
//! | `e`    | `e` origin 0x00 seq(8 BE)                             | `Event` as JSON               |
//! | `i`    | `i` event-uuid(16)                                    | origin 0x00 seq(8 BE)         |
//! | `h`    | `h` origin                                            | seq(8 BE) hash(32)            |
//! | `n`    | `n` entity-uuid(16)                                   | `Entity` as JSON              |
//! | `x`    | `x` entity-uuid(16) wall(8 BE) counter(4 BE) origin 0x00 seq(8 BE) | empty            |
//! | `s`    | `s` scope-code 0x00 origin 0x00 seq(8 BE)             | empty                         |
//! | `k`    | `k` namespace 0x00 key                                | caller's bytes                |
//! | `t`    | `t` kind(1) entity-uuid(16)                           | empty: entities by kind       |
//! | `q`    | `q` index(1) value 0x00 entity-uuid(16)               | empty: entities by index term |
//! | `w`    | `w` entity-uuid(16)                                   | a case's `CaseCard` as JSON   |
//!
//! Origins are written as their text (`360123100201`, `360123100/outbox`):
//! digits and `/` only, all above 0x00, so `origin 0x00` is prefix-free and
//! byte order equals `Origin`'s order. Sequence numbers are big-endian, so a
//! range scan walks an origin's events in seq order.

use sanji_domain::index::{IndexName, Term, TermRange};
use sanji_domain::{Code, Digest, Hlc, Origin};
use uuid::Uuid;

use crate::StoreError;

pub(crate) const META: u8 = b'm';
pub(crate) const EVENT: u8 = b'e';
pub(crate) const ID: u8 = b'i';
pub(crate) const HEAD: u8 = b'h';
pub(crate) const ENTITY: u8 = b'n';
pub(crate) const ENTITY_EVENTS: u8 = b'x';
pub(crate) const SCOPE: u8 = b's';
pub(crate) const USER_META: u8 = b'k';
pub(crate) const KIND: u8 = b't';
pub(crate) const TERM: u8 = b'q';
pub(crate) const CASE_CARD: u8 = b'w';

pub(crate) const SEP: u8 = 0x00;

/// Names under the `m` prefix.
pub(crate) const META_FORMAT: &str = "format";
pub(crate) const META_NODE: &str = "node";
pub(crate) const META_CLOCK: &str = "clock";
pub(crate) const META_COUNT: &str = "count";
/// How the data key of a sealed store is wrapped (see `seal.rs`); absent in a plain store.
pub(crate) const META_SEAL: &str = "seal";
/// Present once the `t` index holds every entity (stores made before it are indexed on open).
pub(crate) const META_KINDS: &str = "kinds";
/// The `sanji_domain::index::INDEX_VERSION` the `q` and `w` records were built under.
pub(crate) const META_TERMS: &str = "terms";
/// The `sanji_domain::fold::FOLD_VERSION` the `n` projections were folded under.
pub(crate) const META_FOLD: &str = "fold";

/// One byte per entity kind, for the `t` index. Never renumber.
pub(crate) fn kind_byte(kind: sanji_domain::fold::EntityKind) -> u8 {
    use sanji_domain::fold::EntityKind::*;
    match kind {
        Screening => b's',
        Visit => b'v',
        Case => b'c',
        Summary => b'd',
        MonthlyReport => b'r',
        ZeroReport => b'z',
        Incident => b'i',
        Meeting => b'm',
        Register => b'n',
        Hotspot => b'h',
        Campaign => b'g',
        Assessment => b'a',
    }
}

/// `t kind entity`: the index of entities by kind.
pub(crate) fn kind(kind: sanji_domain::fold::EntityKind, entity: Uuid) -> Vec<u8> {
    let mut k = Vec::with_capacity(18);
    k.push(KIND);
    k.push(kind_byte(kind));
    k.extend_from_slice(entity.as_bytes());
    k
}

pub(crate) fn kind_prefix(kind: sanji_domain::fold::EntityKind) -> [u8; 2] {
    [KIND, kind_byte(kind)]
}

/// `q index value 0x00 entity`: one index term of an entity. Values are
/// ASCII without NUL (`sanji_domain::index::Term`), so `value 0x00` is
/// prefix-free and keys sort by value, then entity.
pub(crate) fn term(term: &Term, entity: Uuid) -> Vec<u8> {
    let mut k = term_value_prefix(term.name, &term.value);
    k.push(SEP);
    k.extend_from_slice(entity.as_bytes());
    k
}

/// `q index value`, without the separator: the start of every key whose value starts with `value`.
pub(crate) fn term_value_prefix(name: IndexName, value: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(2 + value.len() + 17);
    k.push(TERM);
    k.push(name.byte());
    k.extend_from_slice(value.as_bytes());
    k
}

/// The key range of the values `range` wants in index `name`.
pub(crate) fn term_range(name: IndexName, range: &TermRange) -> (Vec<u8>, Vec<u8>) {
    // Every key of a value `v` lies in [`q i v 0x00`, `q i v 0x01`).
    let exact = |v: &str, sep: u8| {
        let mut k = term_value_prefix(name, v);
        k.push(sep);
        k
    };
    match range {
        TermRange::Exact(v) => (exact(v, SEP), exact(v, SEP + 1)),
        TermRange::Between(from, to) => (exact(from, SEP), exact(to, SEP + 1)),
        TermRange::Prefix(p) => {
            let start = term_value_prefix(name, p);
            let mut end = start.clone();
            // Values are ASCII, so raising the last byte of the prefix (the index byte when
            // the prefix is empty) bounds every value that starts with it.
            *end.last_mut().expect("non-empty") += 1;
            (start, end)
        }
    }
}

/// The entity at the end of a `q` key.
pub(crate) fn term_entity(key: &[u8]) -> Result<Uuid, StoreError> {
    key.len()
        .checked_sub(16)
        .filter(|&at| at >= 3 && key[at - 1] == SEP)
        .and_then(|at| Uuid::from_slice(&key[at..]).ok())
        .ok_or_else(|| StoreError::Corrupt(format!("索引键格式不对:{key:?}")))
}

pub(crate) fn case_card(entity: Uuid) -> Vec<u8> {
    let mut k = Vec::with_capacity(17);
    k.push(CASE_CARD);
    k.extend_from_slice(entity.as_bytes());
    k
}

pub(crate) fn meta(name: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(1 + name.len());
    k.push(META);
    k.extend_from_slice(name.as_bytes());
    k
}

/// `origin 0x00 seq`: the tail shared by event, id-index, entity-index and scope keys.
pub(crate) fn push_ref(k: &mut Vec<u8>, origin: &Origin, seq: u64) {
    push_origin(k, origin);
    k.extend_from_slice(&seq.to_be_bytes());
}

/// `origin 0x00`.
pub(crate) fn push_origin(k: &mut Vec<u8>, origin: &Origin) {
    k.extend_from_slice(origin.to_string().as_bytes());
    k.push(SEP);
}

pub(crate) fn event(origin: &Origin, seq: u64) -> Vec<u8> {
    let mut k = vec![EVENT];
    push_ref(&mut k, origin, seq);
    k
}

/// The event key of a reference read from another index (`origin-text 0x00 seq`).
pub(crate) fn event_from_ref_bytes(reference: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(1 + reference.len());
    k.push(EVENT);
    k.extend_from_slice(reference);
    k
}

pub(crate) fn id(id: Uuid) -> Vec<u8> {
    let mut k = vec![ID];
    k.extend_from_slice(id.as_bytes());
    k
}

pub(crate) fn reference(origin: &Origin, seq: u64) -> Vec<u8> {
    let mut v = Vec::new();
    push_ref(&mut v, origin, seq);
    v
}

pub(crate) fn head(origin: &Origin) -> Vec<u8> {
    let mut k = vec![HEAD];
    k.extend_from_slice(origin.to_string().as_bytes());
    k
}

pub(crate) fn head_value(seq: u64, hash: &Digest) -> Vec<u8> {
    let mut v = Vec::with_capacity(40);
    v.extend_from_slice(&seq.to_be_bytes());
    v.extend_from_slice(&hash.0);
    v
}

pub(crate) fn parse_head_value(bytes: &[u8]) -> Result<(u64, Digest), StoreError> {
    if bytes.len() != 40 {
        return Err(StoreError::Corrupt(format!(
            "账本头记录长度为 {} 字节,应为 40",
            bytes.len()
        )));
    }
    let seq = u64::from_be_bytes(bytes[..8].try_into().expect("8 bytes"));
    let hash = Digest(bytes[8..].try_into().expect("32 bytes"));
    Ok((seq, hash))
}

pub(crate) fn entity(id: Uuid) -> Vec<u8> {
    let mut k = vec![ENTITY];
    k.extend_from_slice(id.as_bytes());
    k
}

pub(crate) fn entity_events_prefix(entity: Uuid) -> Vec<u8> {
    let mut k = vec![ENTITY_EVENTS];
    k.extend_from_slice(entity.as_bytes());
    k
}

/// Length of `x entity wall counter`, before the reference.
pub(crate) const ENTITY_EVENT_HEAD: usize = 1 + 16 + 8 + 4;

pub(crate) fn entity_event(entity: Uuid, hlc: Hlc, origin: &Origin, seq: u64) -> Vec<u8> {
    let mut k = entity_events_prefix(entity);
    k.extend_from_slice(&hlc.wall_ms.to_be_bytes());
    k.extend_from_slice(&hlc.counter.to_be_bytes());
    push_ref(&mut k, origin, seq);
    k
}

/// `s code 0x00`: every key of one scope.
pub(crate) fn scope_prefix(code: &Code) -> Vec<u8> {
    let mut k = vec![SCOPE];
    k.extend_from_slice(code.as_str().as_bytes());
    k.push(SEP);
    k
}

pub(crate) fn scope_event(code: &Code, origin: &Origin, seq: u64) -> Vec<u8> {
    let mut k = scope_prefix(code);
    push_ref(&mut k, origin, seq);
    k
}

pub(crate) fn user_meta_prefix(namespace: &str) -> Vec<u8> {
    let mut k = vec![USER_META];
    k.extend_from_slice(namespace.as_bytes());
    k.push(SEP);
    k
}

pub(crate) fn user_meta(namespace: &str, key: &str) -> Vec<u8> {
    let mut k = user_meta_prefix(namespace);
    k.extend_from_slice(key.as_bytes());
    k
}

pub(crate) fn clock_value(hlc: Hlc) -> Vec<u8> {
    let mut v = Vec::with_capacity(12);
    v.extend_from_slice(&hlc.wall_ms.to_be_bytes());
    v.extend_from_slice(&hlc.counter.to_be_bytes());
    v
}

pub(crate) fn parse_clock_value(bytes: &[u8]) -> Result<Hlc, StoreError> {
    if bytes.len() != 12 {
        return Err(StoreError::Corrupt(format!(
            "时钟记录长度为 {} 字节,应为 12",
            bytes.len()
        )));
    }
    let wall = u64::from_be_bytes(bytes[..8].try_into().expect("8 bytes"));
    let counter = u32::from_be_bytes(bytes[8..].try_into().expect("4 bytes"));
    Ok(Hlc::new(wall, counter))
}

pub(crate) fn parse_u64(what: &str, bytes: &[u8]) -> Result<u64, StoreError> {
    let array: [u8; 8] = bytes
        .try_into()
        .map_err(|_| StoreError::Corrupt(format!("{what} 长度为 {} 字节,应为 8", bytes.len())))?;
    Ok(u64::from_be_bytes(array))
}

/// Splits `origin-text 0x00 seq(8)` into the origin's bytes and the seq.
pub(crate) fn split_ref(bytes: &[u8]) -> Result<(&[u8], u64), StoreError> {
    let bad = || StoreError::Corrupt(format!("索引键的事件引用格式不对:{bytes:?}"));
    if bytes.len() < 9 {
        return Err(bad());
    }
    let (origin, rest) = bytes.split_at(bytes.len() - 9);
    if rest[0] != SEP || origin.contains(&SEP) {
        return Err(bad());
    }
    let seq = u64::from_be_bytes(rest[1..].try_into().expect("8 bytes"));
    Ok((origin, seq))
}

pub(crate) fn parse_origin(bytes: &[u8]) -> Result<Origin, StoreError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| StoreError::Corrupt(format!("来源不是 UTF-8:{bytes:?}")))?;
    Origin::parse(text).map_err(|e| StoreError::Corrupt(format!("来源 {text:?} 无效:{e}")))
}

/// Parses `origin-text 0x00 seq(8)` into an origin and a seq.
#[cfg(test)]
pub(crate) fn parse_ref(bytes: &[u8]) -> Result<(Origin, u64), StoreError> {
    let (origin, seq) = split_ref(bytes)?;
    Ok((parse_origin(origin)?, seq))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origins() -> Vec<Origin> {
        [
            "360123",
            "360123100",
            "360123100/outbox",
            "360123100201",
            "360123100202",
            "360123101",
            "360123101/outbox",
            "360124",
        ]
        .iter()
        .map(|t| Origin::parse(t).unwrap())
        .collect()
    }

    #[test]
    fn key_order_matches_origin_then_seq_order() {
        let mut refs = Vec::new();
        for o in origins() {
            for seq in [1, 2, 255, 256, u64::MAX] {
                refs.push((o.clone(), seq));
            }
        }
        let mut by_key = refs.clone();
        by_key.sort_by_key(|(o, s)| event(o, *s));
        refs.sort();
        assert_eq!(by_key, refs);
    }

    #[test]
    fn references_round_trip() {
        for o in origins() {
            let bytes = reference(&o, 42);
            assert_eq!(parse_ref(&bytes).unwrap(), (o.clone(), 42));
        }
        assert!(parse_ref(b"short").is_err());
    }

    #[test]
    fn term_ranges_hold_exactly_the_values_they_name() {
        let name = IndexName::CasePlace;
        let values = [
            "360123100",
            "360123100201",
            "360123100202",
            "3601231002",
            "360123101",
            "36012310",
        ];
        let entity = Uuid::from_u128(u128::MAX);
        let ranges = [
            TermRange::Exact("360123100".into()),
            TermRange::Prefix("360123100".into()),
            TermRange::Prefix(String::new()),
            TermRange::Between("360123100201".into(), "360123101".into()),
        ];
        for range in &ranges {
            let (start, end) = term_range(name, range);
            for v in values {
                for id in [Uuid::nil(), entity] {
                    let key = term(
                        &Term {
                            name,
                            value: v.into(),
                        },
                        id,
                    );
                    assert_eq!(
                        start <= key && key < end,
                        range.contains(v),
                        "{range:?} and {v}"
                    );
                    assert_eq!(term_entity(&key).unwrap(), id);
                }
            }
        }
        // Another index never falls in the range.
        let other = term(
            &Term {
                name: IndexName::CaseNumber,
                value: "360123100".into(),
            },
            entity,
        );
        let (start, end) = term_range(name, &TermRange::Prefix(String::new()));
        assert!(!(start <= other && other < end));
    }

    #[test]
    fn entity_event_keys_sort_in_fold_order() {
        let e = Uuid::from_u128(7);
        let mut keys = [
            (Hlc::new(5, 1), Origin::parse("360123100201").unwrap(), 3),
            (
                Hlc::new(5, 0),
                Origin::parse("360123100/outbox").unwrap(),
                9,
            ),
            (Hlc::new(5, 0), Origin::parse("360123100").unwrap(), 10),
            (Hlc::new(4, 9), Origin::parse("360123100202").unwrap(), 1),
        ];
        let mut by_key = keys.clone();
        by_key.sort_by_key(|(h, o, s)| entity_event(e, *h, o, *s));
        keys.sort();
        assert_eq!(by_key, keys);
        let key = entity_event(e, keys[0].0, &keys[0].1, keys[0].2);
        assert_eq!(
            parse_ref(&key[ENTITY_EVENT_HEAD..]).unwrap(),
            (keys[0].1.clone(), keys[0].2)
        );
    }
}
