//! The CA on real files: init, issue, load, read identities back.

use std::fs;
use std::path::{Path, PathBuf};

use sanji_domain::Code;
use sanji_pki::{
    CertFiles, Identity, PersonRole, PkiError, ca_county, identity_from_der, init_ca, issue_node,
    issue_person, server_name,
};
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::X509Certificate;

/// The passphrase the people of these tests put on their keys.
const PASS: &str = "本人的口令-2026";

fn code(text: &str) -> Code {
    Code::parse(text).unwrap()
}

fn new_ca(root: &Path, county: &str) -> PathBuf {
    let dir = root.join(format!("ca-{county}"));
    init_ca(&dir, &code(county)).unwrap();
    dir
}

fn der_of(pem_text: &str) -> Vec<u8> {
    let (_, pem) = x509_parser::pem::parse_x509_pem(pem_text.as_bytes()).unwrap();
    assert_eq!(pem.label, "CERTIFICATE");
    pem.contents
}

fn parse(der: &[u8]) -> X509Certificate<'_> {
    x509_parser::parse_x509_certificate(der).unwrap().1
}

fn sans(cert: &X509Certificate<'_>) -> Vec<String> {
    cert.subject_alternative_name()
        .unwrap()
        .unwrap()
        .value
        .general_names
        .iter()
        .map(|n| match n {
            GeneralName::URI(u) => format!("uri:{u}"),
            GeneralName::DNSName(d) => format!("dns:{d}"),
            GeneralName::IPAddress(ip) => format!("ip:{ip:?}"),
            other => format!("{other:?}"),
        })
        .collect()
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// A person's certificate issued under [`PASS`].
fn person(
    ca_dir: &Path,
    at: &Code,
    role: PersonRole,
    name: &str,
    out: &Path,
) -> Result<(String, Vec<PathBuf>), PkiError> {
    issue_person(ca_dir, at, role, name, out, PASS)
}

#[test]
fn init_writes_a_county_ca() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("nested/ca");
    init_ca(&dir, &code("360123")).unwrap();
    assert_eq!(ca_county(&dir).unwrap(), code("360123"));

    let pem = fs::read_to_string(dir.join("ca.pem")).unwrap();
    let der = der_of(&pem);
    let cert = parse(&der);
    assert!(cert.is_ca());
    assert_eq!(sans(&cert), ["uri:sanji://ca/360123"]);
    let cn = cert
        .subject()
        .iter_common_name()
        .next()
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(cn, "sanji 县级 CA 360123");
    let years = (cert.validity().not_after.timestamp() - cert.validity().not_before.timestamp())
        / (365 * 86400);
    assert_eq!(years, 20);
    #[cfg(unix)]
    assert_eq!(mode(&dir.join("ca-key.pem")), 0o600);
}

#[test]
fn init_refuses_an_existing_ca_and_non_county_codes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = new_ca(tmp.path(), "360123");
    let before = fs::read_to_string(dir.join("ca.pem")).unwrap();
    let err = init_ca(&dir, &code("360123")).unwrap_err();
    assert!(
        matches!(&err, PkiError::AlreadyExists { path } if path == &dir.join("ca.pem")),
        "{err}"
    );
    assert!(
        err.to_string().contains("ca.pem") && err.to_string().contains("已存在"),
        "{err}"
    );
    assert_eq!(fs::read_to_string(dir.join("ca.pem")).unwrap(), before);

    // A stray key alone also blocks.
    let other = tmp.path().join("other");
    fs::create_dir(&other).unwrap();
    fs::write(other.join("ca-key.pem"), "x").unwrap();
    let err = init_ca(&other, &code("360123")).unwrap_err();
    assert!(
        matches!(&err, PkiError::AlreadyExists { path } if path.ends_with("ca-key.pem")),
        "{err}"
    );
    assert!(!other.join("ca.pem").exists());

    let err = init_ca(&tmp.path().join("t"), &code("360123100")).unwrap_err();
    assert!(matches!(err, PkiError::NotCounty { .. }), "{err}");
    assert!(err.to_string().contains("360123100"), "{err}");
}

#[test]
fn node_certificates_round_trip_at_every_level() {
    let tmp = tempfile::tempdir().unwrap();
    let ca_dir = new_ca(tmp.path(), "360123");
    let ca_pem = fs::read_to_string(ca_dir.join("ca.pem")).unwrap();
    let ca_der = der_of(&ca_pem);
    let ca_cert = parse(&ca_der);

    for text in ["360123", "360123100", "360123100201"] {
        let node = code(text);
        let out = tmp.path().join(format!("node-{text}"));
        let extra = vec![
            "Host-1.example.org".to_owned(),
            "10.0.0.5".to_owned(),
            "localhost".to_owned(),
        ];
        let paths = issue_node(&ca_dir, &node, &out, &extra).unwrap();
        let names: Vec<String> = paths
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            [
                format!("{text}-key.pem"),
                format!("{text}.pem"),
                "ca.pem".to_owned()
            ]
        );
        assert!(paths.iter().all(|p| p.starts_with(&out)));
        #[cfg(unix)]
        {
            assert_eq!(mode(&out.join(format!("{text}-key.pem"))), 0o600);
            assert_eq!(mode(&out.join(format!("{text}.pem"))) & 0o022, 0);
        }
        assert_eq!(fs::read_to_string(out.join("ca.pem")).unwrap(), ca_pem);

        let files = CertFiles::load(&out, text).unwrap();
        assert_eq!(files.ca_pem, ca_pem);
        let identity = files.identity().unwrap();
        assert_eq!(identity, Identity::Node(node.clone()));
        assert_eq!(identity.code(), &node);
        assert_eq!(identity.display_name(), format!("{text} 站点"));
        assert!(!format!("{files:?}").contains("PRIVATE KEY"));

        let der = der_of(&files.cert_pem);
        assert_eq!(identity_from_der(&der).unwrap(), identity);
        let cert = parse(&der);
        assert_eq!(
            sans(&cert),
            [
                format!("uri:sanji://node/{text}"),
                format!("dns:{}", server_name(&node)),
                "dns:localhost".to_owned(),
                "dns:host-1.example.org".to_owned(),
                "ip:[10, 0, 0, 5]".to_owned(),
            ]
        );
        assert_eq!(server_name(&node), format!("{text}.sanji"));
        let eku = cert.extended_key_usage().unwrap().unwrap().value;
        assert!(eku.server_auth && eku.client_auth);
        assert!(!cert.is_ca());
        // webpki links a leaf to its CA by exact name bytes.
        assert_eq!(cert.issuer().as_raw(), ca_cert.subject().as_raw());
        assert!(cert.validity().not_after.timestamp() <= ca_cert.validity().not_after.timestamp());
        let years = (cert.validity().not_after.timestamp()
            - cert.validity().not_before.timestamp())
            / (365 * 86400);
        assert_eq!(years, 5);
    }
}

#[test]
fn issuing_into_the_ca_directory_keeps_its_ca_pem() {
    let tmp = tempfile::tempdir().unwrap();
    let ca_dir = new_ca(tmp.path(), "360123");
    let paths = issue_node(&ca_dir, &code("360123"), &ca_dir, &[]).unwrap();
    assert_eq!(
        paths,
        [ca_dir.join("360123-key.pem"), ca_dir.join("360123.pem")]
    );
    // A second certificate into the same out dir reuses the identical ca.pem.
    let out = tmp.path().join("out");
    issue_node(&ca_dir, &code("360123100"), &out, &[]).unwrap();
    let paths = issue_node(&ca_dir, &code("360123101"), &out, &[]).unwrap();
    assert_eq!(paths.len(), 2);
    assert!(CertFiles::load(&out, "360123101").is_ok());
}

#[test]
fn person_certificates_round_trip() {
    let tmp = tempfile::tempdir().unwrap();
    let ca_dir = new_ca(tmp.path(), "360123");
    let out = tmp.path().join("people");

    let (stem, paths) = person(
        &ca_dir,
        &code("360123100"),
        PersonRole::Operator,
        " 张三 ",
        &out,
    )
    .unwrap();
    assert!(stem.starts_with("360123100-operator-"), "{stem}");
    assert_eq!(stem.len(), "360123100-operator-".len() + 16);
    assert!(stem.is_ascii());
    assert_eq!(
        paths,
        [
            out.join(format!("{stem}-key.pem")),
            out.join(format!("{stem}.pem")),
            out.join("ca.pem")
        ]
    );
    #[cfg(unix)]
    assert_eq!(mode(&paths[0]), 0o600);

    let files = CertFiles::load_person(&out.join(&stem), PASS).unwrap();
    let identity = files.identity().unwrap();
    assert_eq!(
        identity,
        Identity::Person {
            code: code("360123100"),
            role: PersonRole::Operator,
            name: "张三".into()
        }
    );
    assert_eq!(identity.display_name(), "张三(总台,360123100)");
    assert_eq!(
        identity.uri(),
        "sanji://person/360123100/operator/%E5%BC%A0%E4%B8%89"
    );
    let der = der_of(&files.cert_pem);
    let cert = parse(&der);
    assert_eq!(sans(&cert), [format!("uri:{}", identity.uri())]);
    let eku = cert.extended_key_usage().unwrap().unwrap().value;
    assert!(eku.client_auth && !eku.server_auth);
    let cn = cert
        .subject()
        .iter_common_name()
        .next()
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(cn, "张三");

    // Village staff, same out dir; names sharing a long prefix get distinct stems.
    let village = code("360123100201");
    let (a, _) = person(
        &ca_dir,
        &village,
        PersonRole::VillageStaff,
        "欧阳修文",
        &out,
    )
    .unwrap();
    let (b, _) = person(
        &ca_dir,
        &village,
        PersonRole::VillageStaff,
        "欧阳修武",
        &out,
    )
    .unwrap();
    assert_ne!(a, b);
    assert_eq!(
        CertFiles::load_person(&out.join(&b), PASS)
            .unwrap()
            .identity()
            .unwrap(),
        Identity::Person {
            code: village,
            role: PersonRole::VillageStaff,
            name: "欧阳修武".into()
        }
    );

    // The same person again is refused rather than overwritten.
    let err = person(
        &ca_dir,
        &code("360123100"),
        PersonRole::Operator,
        "张三",
        &out,
    )
    .unwrap_err();
    assert!(matches!(err, PkiError::AlreadyExists { .. }), "{err}");
}

#[test]
fn person_input_is_checked() {
    let tmp = tempfile::tempdir().unwrap();
    let ca_dir = new_ca(tmp.path(), "360123");
    let out = tmp.path().join("people");
    let township = code("360123100");
    for bad in ["", "   ", "张\n三", "a\u{7f}b", &"张".repeat(51)] {
        let err = person(&ca_dir, &township, PersonRole::Director, bad, &out).unwrap_err();
        assert!(matches!(err, PkiError::BadName { .. }), "{bad:?}: {err}");
    }
    assert!(
        person(
            &ca_dir,
            &township,
            PersonRole::Director,
            &"张".repeat(50),
            &out
        )
        .is_ok()
    );

    let err = person(&ca_dir, &township, PersonRole::VillageStaff, "李四", &out).unwrap_err();
    assert!(matches!(err, PkiError::WrongLevel { .. }), "{err}");
    assert!(
        err.to_string().contains("村级") && err.to_string().contains("360123100"),
        "{err}"
    );
    for role in [
        PersonRole::Operator,
        PersonRole::Director,
        PersonRole::UnitStaff,
    ] {
        let err = person(&ca_dir, &code("360123100201"), role, "李四", &out).unwrap_err();
        assert!(matches!(err, PkiError::WrongLevel { .. }), "{err}");
        let err = person(&ca_dir, &code("360123"), role, "李四", &out).unwrap_err();
        assert!(matches!(err, PkiError::WrongLevel { .. }), "{err}");
    }
}

#[test]
fn codes_outside_the_county_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let ca_dir = new_ca(tmp.path(), "360123");
    let out = tmp.path().join("out");
    for text in ["360124", "360124100", "360124100201"] {
        let err = issue_node(&ca_dir, &code(text), &out, &[]).unwrap_err();
        assert!(matches!(err, PkiError::OutsideCounty { .. }), "{err}");
        let msg = err.to_string();
        assert!(msg.contains(text) && msg.contains("360123"), "{msg}");
    }
    let err = person(
        &ca_dir,
        &code("360124100"),
        PersonRole::UnitStaff,
        "王五",
        &out,
    )
    .unwrap_err();
    assert!(matches!(err, PkiError::OutsideCounty { .. }), "{err}");
    assert!(!out.exists() || fs::read_dir(&out).unwrap().next().is_none());
}

#[test]
fn issuing_refuses_to_overwrite() {
    let tmp = tempfile::tempdir().unwrap();
    let ca_dir = new_ca(tmp.path(), "360123");
    let out = tmp.path().join("out");
    let node = code("360123100201");
    issue_node(&ca_dir, &node, &out, &[]).unwrap();
    let before = fs::read_to_string(out.join("360123100201.pem")).unwrap();
    let err = issue_node(&ca_dir, &node, &out, &[]).unwrap_err();
    assert!(
        matches!(&err, PkiError::AlreadyExists { path } if path.starts_with(&out)),
        "{err}"
    );
    assert!(err.to_string().contains("360123100201"), "{err}");
    assert_eq!(
        fs::read_to_string(out.join("360123100201.pem")).unwrap(),
        before
    );

    // Only the key left behind still blocks.
    fs::remove_file(out.join("360123100201.pem")).unwrap();
    let err = issue_node(&ca_dir, &node, &out, &[]).unwrap_err();
    assert!(
        matches!(&err, PkiError::AlreadyExists { path } if path.ends_with("360123100201-key.pem")),
        "{err}"
    );
}

#[test]
fn an_out_dir_holding_another_ca_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let ca_a = new_ca(tmp.path(), "360123");
    let ca_b = tmp.path().join("ca-b");
    init_ca(&ca_b, &code("360123")).unwrap();
    let err = issue_node(&ca_b, &code("360123100"), &ca_a, &[]).unwrap_err();
    assert!(
        matches!(&err, PkiError::OtherCa { path } if path == &ca_a.join("ca.pem")),
        "{err}"
    );
    assert!(!ca_a.join("360123100.pem").exists() && !ca_a.join("360123100-key.pem").exists());
}

#[test]
fn a_different_ca_gives_a_different_issuer() {
    let tmp = tempfile::tempdir().unwrap();
    let ca_a = new_ca(tmp.path(), "360123");
    let ca_b = tmp.path().join("ca-b");
    init_ca(&ca_b, &code("360123")).unwrap();
    let node = code("360123100");
    let out_a = tmp.path().join("a");
    let out_b = tmp.path().join("b");
    issue_node(&ca_a, &node, &out_a, &[]).unwrap();
    issue_node(&ca_b, &node, &out_b, &[]).unwrap();

    let a = CertFiles::load(&out_a, "360123100").unwrap();
    let b = CertFiles::load(&out_b, "360123100").unwrap();
    assert_ne!(a.ca_pem, b.ca_pem);
    let (der_a, der_b) = (der_of(&a.cert_pem), der_of(&b.cert_pem));
    // Same county: the CA names still differ (they carry the key's fingerprint).
    assert_ne!(
        parse(&der_a).issuer().as_raw(),
        parse(&der_b).issuer().as_raw()
    );
    assert_eq!(
        parse(&der_a).issuer().as_raw(),
        parse(&der_of(&a.ca_pem)).subject().as_raw()
    );

    // A county with another code differs by name too.
    let ca_c = new_ca(tmp.path(), "360124");
    let out_c = tmp.path().join("c");
    issue_node(&ca_c, &code("360124100"), &out_c, &[]).unwrap();
    let c = CertFiles::load(&out_c, "360124100").unwrap();
    let der_c = der_of(&c.cert_pem);
    assert_ne!(
        parse(&der_a).issuer().as_raw(),
        parse(&der_c).issuer().as_raw()
    );

    // Mixing files of two CAs is caught when loading.
    fs::copy(out_b.join("ca.pem"), out_a.join("ca.pem")).unwrap();
    let err = CertFiles::load(&out_a, "360123100").unwrap_err();
    assert!(matches!(err, PkiError::NotIssuedByCa { .. }), "{err}");
    fs::copy(out_c.join("ca.pem"), out_a.join("ca.pem")).unwrap();
    let err = CertFiles::load(&out_a, "360123100").unwrap_err();
    assert!(matches!(err, PkiError::NotIssuedByCa { .. }), "{err}");
}

#[test]
fn loading_names_missing_files_and_how_to_make_them() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("x");
    let err = CertFiles::load(&dir, "360123100201").unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, PkiError::Missing { .. }), "{msg}");
    assert!(
        msg.contains(&dir.join("ca.pem").display().to_string()),
        "{msg}"
    );
    // A node missing ca.pem needs the county's, not a second CA of its own.
    assert!(
        msg.contains("复制") && msg.contains("县级 CA") && !msg.contains("pki init"),
        "{msg}"
    );

    let ca_dir = new_ca(tmp.path(), "360123");
    let err = CertFiles::load(&ca_dir, "360123100201").unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("360123100201.pem")
            && msg.contains("为 360123100201 签发节点证书")
            && msg.contains("sanji pki issue node"),
        "{msg}"
    );

    issue_node(&ca_dir, &code("360123100201"), &ca_dir, &[]).unwrap();
    fs::remove_file(ca_dir.join("360123100201-key.pem")).unwrap();
    let msg = CertFiles::load(&ca_dir, "360123100201")
        .unwrap_err()
        .to_string();
    assert!(msg.contains("360123100201-key.pem"), "{msg}");

    let err = issue_node(&dir, &code("360123100"), &dir, &[]).unwrap_err();
    assert!(err.to_string().contains("sanji pki init"), "{err}");
    let err = ca_county(&dir).unwrap_err();
    assert!(matches!(err, PkiError::Missing { .. }), "{err}");
}

#[test]
fn the_node_certificates_in_a_folder_are_listed_with_the_codes_they_name() {
    let tmp = tempfile::tempdir().unwrap();
    let ca_dir = new_ca(tmp.path(), "360123");
    let out = tmp.path().join("certs");
    issue_node(&ca_dir, &code("360123100201"), &out, &[]).unwrap();
    // Renamed as if for another village: the certificate still says 201.
    fs::rename(out.join("360123100201.pem"), out.join("360123100204.pem")).unwrap();
    person(
        &ca_dir,
        &code("360123100"),
        PersonRole::Operator,
        "赵敏",
        &out,
    )
    .unwrap();
    let found = sanji_pki::node_certificates(&out);
    assert_eq!(
        found,
        vec![(code("360123100201"), out.join("360123100204.pem"))]
    );
    assert!(sanji_pki::node_certificates(&tmp.path().join("none")).is_empty());
}

#[test]
fn a_key_from_another_certificate_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let ca_dir = new_ca(tmp.path(), "360123");
    let out = tmp.path().join("out");
    issue_node(&ca_dir, &code("360123100"), &out, &[]).unwrap();
    issue_node(&ca_dir, &code("360123101"), &out, &[]).unwrap();
    fs::remove_file(out.join("360123100-key.pem")).unwrap();
    fs::copy(out.join("360123101-key.pem"), out.join("360123100-key.pem")).unwrap();
    let err = CertFiles::load(&out, "360123100").unwrap_err();
    assert!(matches!(err, PkiError::KeyMismatch { .. }), "{err}");
}

#[test]
fn bad_extra_dns_names_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let ca_dir = new_ca(tmp.path(), "360123");
    for bad in ["", "a..b", "-a.b", "a_b.c", "例子.中国", "a b"] {
        let err = issue_node(
            &ca_dir,
            &code("360123100"),
            &tmp.path().join("o"),
            &[bad.to_owned()],
        )
        .unwrap_err();
        assert!(matches!(err, PkiError::BadDnsName { .. }), "{bad:?}: {err}");
    }
}

#[test]
fn identities_need_exactly_one_sanji_uri() {
    // No URI SAN at all.
    let plain = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let err = identity_from_der(plain.cert.der()).unwrap_err();
    assert!(matches!(err, PkiError::NoIdentity { .. }), "{err}");

    // Other URIs only, then two sanji URIs, then a bad code.
    let with_uris = |uris: &[&str]| {
        let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
        for uri in uris {
            params
                .subject_alt_names
                .push(rcgen::SanType::URI((*uri).try_into().unwrap()));
        }
        let key = rcgen::KeyPair::generate().unwrap();
        params.self_signed(&key).unwrap().der().to_vec()
    };
    let err = identity_from_der(&with_uris(&["https://example.com/"])).unwrap_err();
    assert!(
        matches!(err, PkiError::NoIdentity { .. }) && err.to_string().contains("example.com"),
        "{err}"
    );
    let err = identity_from_der(&with_uris(&[
        "sanji://node/360123100",
        "sanji://node/360123101",
    ]))
    .unwrap_err();
    assert!(
        matches!(err, PkiError::NoIdentity { .. }) && err.to_string().contains("2"),
        "{err}"
    );
    let err = identity_from_der(&with_uris(&["sanji://node/360123000"])).unwrap_err();
    assert!(matches!(err, PkiError::BadIdentity { .. }), "{err}");
    assert_eq!(
        identity_from_der(&with_uris(&[
            "https://example.com/",
            "sanji://node/360123100"
        ]))
        .unwrap(),
        Identity::Node(code("360123100"))
    );

    // Not a certificate.
    for garbage in [&b""[..], b"hello", &[0x30, 0x82, 0x01, 0x00, 0xff][..]] {
        let err = identity_from_der(garbage).unwrap_err();
        assert!(matches!(err, PkiError::BadCert { .. }), "{err}");
    }
    let files = CertFiles {
        ca_pem: String::new(),
        cert_pem: "nonsense".into(),
        key_pem: String::new(),
    };
    assert!(matches!(files.identity(), Err(PkiError::BadCert { .. })));
}

/// The chains are checked the way tonic's rustls will: server name, EKU, issuer.
#[test]
fn rustls_accepts_the_chains_it_should_and_only_those() {
    use std::sync::Arc;

    use rustls::RootCertStore;
    use rustls::client::WebPkiServerVerifier;
    use rustls::client::danger::ServerCertVerifier;
    use rustls::pki_types::{
        CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime,
    };
    use rustls::server::WebPkiClientVerifier;

    let tmp = tempfile::tempdir().unwrap();
    let ca_a = new_ca(tmp.path(), "360123");
    let ca_b = tmp.path().join("ca-b");
    init_ca(&ca_b, &code("360123")).unwrap();
    let out = tmp.path().join("a");
    let out_b = tmp.path().join("b");
    issue_node(&ca_a, &code("360123100"), &out, &[]).unwrap();
    let (stem, _) = issue_person(
        &ca_a,
        &code("360123100201"),
        PersonRole::VillageStaff,
        "赵六",
        &out,
        PASS,
    )
    .unwrap();
    issue_node(&ca_b, &code("360123100"), &out_b, &[]).unwrap();

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let node = CertFiles::load(&out, "360123100").unwrap();
    let person = CertFiles::load_person(&out.join(&stem), PASS).unwrap();
    let stranger = CertFiles::load(&out_b, "360123100").unwrap();
    let leaf = |files: &CertFiles| CertificateDer::from(der_of(&files.cert_pem));

    let mut roots = RootCertStore::empty();
    roots
        .add(CertificateDer::from(der_of(&node.ca_pem)))
        .unwrap();
    let roots = Arc::new(roots);
    let now = UnixTime::now();

    let servers = WebPkiServerVerifier::builder_with_provider(roots.clone(), provider.clone())
        .build()
        .unwrap();
    let name = |s: &str| ServerName::try_from(s.to_owned()).unwrap();
    let expected = name(&server_name(&code("360123100")));
    assert!(
        servers
            .verify_server_cert(&leaf(&node), &[], &expected, &[], now)
            .is_ok()
    );
    assert!(
        servers
            .verify_server_cert(&leaf(&node), &[], &name("localhost"), &[], now)
            .is_ok()
    );
    // The pinned name: a node cannot stand in for another.
    assert!(
        servers
            .verify_server_cert(&leaf(&node), &[], &name("360123101.sanji"), &[], now)
            .is_err()
    );
    // A person certificate is for clients only; another CA's certificate is refused.
    assert!(
        servers
            .verify_server_cert(&leaf(&person), &[], &expected, &[], now)
            .is_err()
    );
    assert!(
        servers
            .verify_server_cert(&leaf(&stranger), &[], &expected, &[], now)
            .is_err()
    );

    let clients = WebPkiClientVerifier::builder_with_provider(roots, provider.clone())
        .build()
        .unwrap();
    assert!(clients.verify_client_cert(&leaf(&node), &[], now).is_ok());
    assert!(clients.verify_client_cert(&leaf(&person), &[], now).is_ok());
    assert!(
        clients
            .verify_client_cert(&leaf(&stranger), &[], now)
            .is_err()
    );

    // The keys load as rustls signing keys.
    for files in [&node, &person] {
        let (_, pem) = x509_parser::pem::parse_x509_pem(files.key_pem.as_bytes()).unwrap();
        assert_eq!(pem.label, "PRIVATE KEY");
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pem.contents));
        assert!(provider.key_provider.load_private_key(key).is_ok());
    }
}

#[test]
fn a_persons_key_opens_only_with_their_passphrase() {
    let tmp = tempfile::tempdir().unwrap();
    let ca_dir = new_ca(tmp.path(), "360123");
    let out = tmp.path().join("people");
    let (stem, _) = person(
        &ca_dir,
        &code("360123100"),
        PersonRole::Director,
        "陈志远",
        &out,
    )
    .unwrap();
    let key_path = out.join(format!("{stem}-key.pem"));
    let stored = fs::read_to_string(&key_path).unwrap();
    assert!(
        stored.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"),
        "{stored}"
    );
    assert!(!stored.contains("BEGIN PRIVATE KEY"));

    // Picking the file is not enough: without the passphrase, or with a wrong one, nothing opens.
    let err = CertFiles::load(&out, &stem).unwrap_err();
    assert!(matches!(err, PkiError::KeyNeedsPassphrase { .. }), "{err}");
    let err = CertFiles::load_person(&out.join(&stem), "别人猜的口令-2026").unwrap_err();
    assert!(matches!(err, PkiError::WrongPassphrase { .. }), "{err}");
    assert!(err.to_string().contains("口令不对"), "{err}");

    // The certificate file's own name works as well as its stem.
    let files = CertFiles::load_person(&out.join(format!("{stem}.pem")), PASS).unwrap();
    assert_eq!(
        files.identity().unwrap().display_name(),
        "陈志远(中心主任,360123100)"
    );
    assert!(files.key_pem.contains("BEGIN PRIVATE KEY"));

    // A short passphrase is refused before anything is written.
    let err = issue_person(
        &ca_dir,
        &code("360123100"),
        PersonRole::Operator,
        "赵敏",
        &out,
        "短口令",
    )
    .unwrap_err();
    assert!(matches!(err, PkiError::WeakPassphrase { .. }), "{err}");
    assert_eq!(
        fs::read_dir(&out).unwrap().count(),
        3,
        "nothing new written"
    );
}

#[test]
fn a_persons_key_kept_in_clear_is_refused_until_its_owner_protects_it() {
    let tmp = tempfile::tempdir().unwrap();
    let ca_dir = new_ca(tmp.path(), "360123");
    let out = tmp.path().join("people");
    let (stem, _) = person(
        &ca_dir,
        &code("360123100"),
        PersonRole::Operator,
        "赵敏",
        &out,
    )
    .unwrap();
    // A key as an earlier release wrote it: in clear.
    let key_path = out.join(format!("{stem}-key.pem"));
    let clear =
        sanji_pki::open_key_pem(&key_path, &fs::read_to_string(&key_path).unwrap(), PASS).unwrap();
    fs::write(&key_path, clear.as_bytes()).unwrap();
    for err in [
        CertFiles::load(&out, &stem).unwrap_err(),
        CertFiles::load_person(&out.join(&stem), PASS).unwrap_err(),
    ] {
        assert!(
            matches!(err, PkiError::UnprotectedPersonKey { .. }),
            "{err}"
        );
        assert!(err.to_string().contains("冒用"), "{err}");
    }

    sanji_pki::protect_key_file(&key_path, "她自己定的新口令").unwrap();
    let files = CertFiles::load_person(&out.join(&stem), "她自己定的新口令").unwrap();
    assert_eq!(
        files.identity().unwrap().display_name(),
        "赵敏(总台,360123100)"
    );
    let err = sanji_pki::protect_key_file(&key_path, "她自己定的新口令").unwrap_err();
    assert!(matches!(err, PkiError::AlreadyProtected { .. }), "{err}");
    // A node's own key stays readable by its service.
    issue_node(&ca_dir, &code("360123100"), &out, &[]).unwrap();
    assert!(CertFiles::load(&out, "360123100").is_ok());
}
