//! The 受理事项总登记簿's numbers: given once, one after another, by the
//! township alone, and folded in order whatever order they arrive in.

mod common;

use common::*;
use sanji_domain::hlc::Hlc;
use sanji_domain::register::{Book, RegisterBook, RegisterNumbers, serial_label};
use sanji_domain::{EntityState, EventBody, fold};
use uuid::Uuid;

fn numbers(first: u32, records: &[Uuid]) -> RegisterNumbers {
    RegisterNumbers {
        township: code(TOWNSHIP),
        year: 2026,
        book: Book::Received,
        first,
        records: records.to_vec(),
    }
}

fn numbering(seq: u64, first: u32, records: &[Uuid]) -> sanji_domain::Event {
    event(
        township_origin(),
        seq,
        Hlc::new(NOW_MS + seq, 0),
        RegisterNumbers::entity_id(&code(TOWNSHIP), 2026, Book::Received),
        EventBody::RegisterNumbered(numbers(first, records)),
    )
}

#[test]
fn numbers_follow_one_another_and_each_record_gets_one() {
    let (a, b, c) = (v7(NOW_MS, 1), v7(NOW_MS, 2), v7(NOW_MS, 3));
    let first = numbering(1, 1, &[a, b]);
    let second = numbering(2, 3, &[c]);
    // Folded in either order given: the fold orders by clock.
    for events in [vec![&first, &second], vec![&second, &first]] {
        let entity = fold(events).expect("the register exists");
        let EntityState::Register(book) = entity.state else {
            panic!("a register: {:?}", entity.state)
        };
        assert_eq!(book.records, vec![a, b, c]);
        assert_eq!(book.serial_of(c), Some(3));
        assert_eq!(book.serial_of(v7(NOW_MS, 9)), None);
        assert!(entity.conflicts.is_empty());
    }
    assert_eq!(serial_label(2026, 3), "2026-0003");

    // A gap, a number given twice, a record numbered twice: each kept as a
    // conflict with its reason, the book unchanged.
    let gap = numbering(3, 5, &[v7(NOW_MS, 4)]);
    let again = numbering(4, 4, &[a]);
    let entity = fold([&first, &second, &gap, &again]).unwrap();
    let EntityState::Register(book) = &entity.state else {
        panic!()
    };
    assert_eq!(book.records.len(), 3);
    let reasons: Vec<&str> = entity.conflicts.iter().map(|c| c.reason.as_str()).collect();
    assert_eq!(
        reasons,
        [
            "登记编号应从第 4 号接续,而这次编号从第 5 号开始",
            &format!("记录 {a} 已有登记编号"),
        ]
    );
    // A first entry that does not start at 1 establishes nothing.
    assert!(fold([&numbering(1, 2, &[a])]).is_none());
}

#[test]
fn only_the_township_numbers_its_own_register() {
    let a = v7(NOW_MS, 1);
    assert_eq!(numbering(1, 1, &[a]).validate(), Ok(()));
    // From a village, or the hub's outbox: refused.
    for origin in [village_origin(), outbox_origin()] {
        let mut e = numbering(1, 1, &[a]);
        e.origin = origin;
        assert_eq!(e.validate().unwrap_err().field, "origin");
    }
    // Another township's register, or a year its entity does not name.
    let mut e = numbering(1, 1, &[a]);
    if let EventBody::RegisterNumbered(n) = &mut e.body {
        n.township = code(OTHER_TOWNSHIP);
    }
    assert_eq!(e.validate().unwrap_err().field, "payload.data.township");
    let mut e = numbering(1, 1, &[a]);
    if let EventBody::RegisterNumbered(n) = &mut e.body {
        n.year = 2025;
    }
    assert_eq!(e.validate().unwrap_err().field, "entity");
    for (broken, field) in [
        (numbers(0, &[a]), "payload.data.first"),
        (numbers(1, &[]), "payload.data.records"),
        (numbers(1, &[a, a]), "payload.data.records"),
    ] {
        let mut e = numbering(1, 1, &[a]);
        e.body = EventBody::RegisterNumbered(broken);
        assert_eq!(e.validate().unwrap_err().field, field);
    }
    let book = RegisterBook {
        township: code(TOWNSHIP),
        year: 2026,
        book: Book::Received,
        records: vec![a],
    };
    assert!(book.continued(&numbers(2, &[v7(NOW_MS, 2)])).is_ok());
}

/// The notices and the archive numbers are books of their own: each its
/// own entity and its own count from 1, printed its own way; and the
/// register's numbers encode as they did before there were other books.
#[test]
fn each_book_counts_on_its_own() {
    let a = v7(NOW_MS, 1);
    let register = numbering(1, 1, &[a]);
    let text = String::from_utf8(register.body.encode()).unwrap();
    assert!(!text.contains("book"), "{text}");

    let mut ids = std::collections::BTreeSet::new();
    for (seq, &book) in (1..).zip(<Book as sanji_domain::Labelled>::ALL) {
        ids.insert(RegisterNumbers::entity_id(&code(TOWNSHIP), 2026, book));
        let mut e = numbering(seq, 1, &[a]);
        e.entity = RegisterNumbers::entity_id(&code(TOWNSHIP), 2026, book);
        if let EventBody::RegisterNumbered(n) = &mut e.body {
            n.book = book;
        }
        assert_eq!(e.validate(), Ok(()), "{book:?}");
        let decoded = EventBody::decode(&e.body.encode()).unwrap();
        assert_eq!(decoded, e.body);
        // The same record holds number 1 in every book.
        let entity = fold([&e]).unwrap();
        let EntityState::Register(folded) = entity.state else {
            panic!()
        };
        assert_eq!((folded.book, folded.serial_of(a)), (book, Some(1)));
        // A book's entity does not take another book's numbers.
        if book != Book::Received {
            let mut wrong = e.clone();
            wrong.entity = RegisterNumbers::entity_id(&code(TOWNSHIP), 2026, Book::Received);
            assert_eq!(wrong.validate().unwrap_err().field, "entity");
        }
    }
    assert_eq!(ids.len(), 5);
    let labels: Vec<String> = [
        Book::Received,
        Book::Dispatch,
        Book::Supervision,
        Book::Closing,
        Book::Archive,
    ]
    .iter()
    .map(|b| b.serial_label(2026, 7))
    .collect();
    assert_eq!(
        labels,
        [
            "2026-0007",
            "交〔2026〕7号",
            "督〔2026〕7号",
            "销〔2026〕7号",
            "档〔2026〕7号"
        ]
    );
    let dispatch = RegisterBook::empty(code(TOWNSHIP), 2026, Book::Dispatch);
    let refused = dispatch.continued(&numbers(1, &[a])).unwrap_err();
    assert_eq!(refused, "受理事项总登记簿的编号不能记入交办通知书");
}
