//! The detection pillar end to end on real databases (SQLite file, and
//! PostgreSQL when the suite has one): list signatures and version chains,
//! legal bases, scanning, review, reports, removal orders, complaints,
//! retention and transparency. Each legal rule's test names its article.

mod common;

use chrono::{Months, TimeDelta};

use bulwark_core::{Country, Timestamp};
use bulwark_detection::basis::{self, MatchPolicy, NewBasis, OrderFacts, SpecificMeasureFacts};
use bulwark_detection::complaints::{self, ComplaintDecision, NewComplaint};
use bulwark_detection::lists::{self, IndicatorEntry, ListPayload, sign_list};
use bulwark_detection::removal::{self, NewRemovalOrder, OrderedItem, RemovalAction};
use bulwark_detection::review::{self, ReviewDecision};
use bulwark_detection::scan::{self, Outcome, ScanInput, ScanItem};
use bulwark_detection::signing::KeyPair;
use bulwark_detection::vocab::*;
use bulwark_detection::{DetectionError, Matcher, demo, reports, retention, transparency};
use bulwark_store::{Actor, Store};
use common::{actor, confirm, dbs, now, report_of};
use sqlx::Row;

fn t(s: &str) -> Timestamp {
    Timestamp::from_datetime(chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc())
}

async fn seeded(store: &Store) -> (Matcher, demo::DemoDetection) {
    let d = demo::seed(store, &actor(), now()).await.unwrap();
    (Matcher::load(store).await.unwrap(), d)
}

fn png(i: usize) -> Vec<u8> {
    demo::stand_in_png(i).unwrap()
}

fn image_item(bytes: &[u8]) -> ScanItem<'_> {
    ScanItem {
        content_ref: Some("upload-1".into()),
        input: ScanInput::Image(bytes),
    }
}

async fn scan_one(
    store: &Store,
    m: &Matcher,
    basis: basis::BasisId,
    bytes: &[u8],
    at: Timestamp,
) -> Result<scan::ScanResult, DetectionError> {
    scan_item(store, m, basis, image_item(bytes), at).await
}

/// Scans one precomputed hash (quality 100) as the demo provider.
async fn scan_hash(
    store: &Store,
    m: &Matcher,
    basis: basis::BasisId,
    pdq: &str,
) -> scan::ScanResult {
    let item = ScanItem {
        content_ref: None,
        input: ScanInput::Hash { pdq, quality: 100 },
    };
    scan_item(store, m, basis, item, now()).await.unwrap()
}

/// Scans one item as the demo provider under `basis`.
async fn scan_item(
    store: &Store,
    m: &Matcher,
    basis: basis::BasisId,
    item: ScanItem<'_>,
    at: Timestamp,
) -> Result<scan::ScanResult, DetectionError> {
    scan::scan(
        store,
        m,
        &actor(),
        demo::DEMO_PROVIDER,
        basis,
        None,
        &[item],
        at,
        "test",
    )
    .await
    .map(|mut v| v.remove(0))
}

#[tokio::test]
async fn demo_images_have_usable_quality_and_match_themselves() {
    for i in 0..demo::DEMO_IMAGES {
        let img = demo::stand_in_image(i);
        let out = bulwark_pdq::hash_rgb8(256, 256, img.as_raw()).unwrap();
        assert!(
            out.quality >= 50,
            "stand-in {i} has quality {}",
            out.quality
        );
    }
    for db in dbs().await {
        let (m, d) = seeded(&db.store).await;
        assert_eq!(m.len(), demo::DEMO_IMAGES, "{}", db.label);
        let r = scan_one(&db.store, &m, d.basis.id, &png(3), now())
            .await
            .unwrap();
        assert_eq!(r.outcome, Outcome::Matched, "{}", db.label);
        assert!(r.matches.iter().any(|x| x.indicator_id == "demo-03"));
        // A mirrored copy matches through the dihedral variants.
        let flipped = image::imageops::flip_horizontal(&demo::stand_in_image(5));
        let mut buf = std::io::Cursor::new(Vec::new());
        flipped.write_to(&mut buf, image::ImageFormat::Png).unwrap();
        let r = scan_one(&db.store, &m, d.basis.id, buf.get_ref(), now())
            .await
            .unwrap();
        let hit = r
            .matches
            .iter()
            .find(|x| x.indicator_id == "demo-05")
            .unwrap();
        assert_ne!(hit.variant, "orig");
        // An unrelated image does not match.
        let other = image::RgbImage::from_fn(200, 200, |x, y| {
            image::Rgb([(x * y % 251) as u8, (x ^ y) as u8, 90])
        });
        let mut buf = std::io::Cursor::new(Vec::new());
        other.write_to(&mut buf, image::ImageFormat::Png).unwrap();
        let r = scan_one(&db.store, &m, d.basis.id, buf.get_ref(), now())
            .await
            .unwrap();
        assert_eq!(r.outcome, Outcome::NoMatch);
    }
}

#[tokio::test]
async fn no_scan_without_a_basis_and_none_after_expiry() {
    // Spec detection.md 8.5 item 1: no scan without an active basis; expiry
    // stops scanning by itself.
    for db in dbs().await {
        let (m, d) = seeded(&db.store).await;
        let unknown = basis::BasisId::new();
        let e = scan_one(&db.store, &m, unknown, &png(1), now())
            .await
            .unwrap_err();
        assert!(matches!(e, DetectionError::Refused(_)), "{e}");
        let after = d.basis.facts.valid_until.plus(TimeDelta::seconds(1));
        let e = scan_one(&db.store, &m, d.basis.id, &png(1), after)
            .await
            .unwrap_err();
        assert!(e.to_string().contains("expired"), "{e}");
        let before = d.basis.facts.valid_from.plus(TimeDelta::seconds(-1));
        let e = scan_one(&db.store, &m, d.basis.id, &png(1), before)
            .await
            .unwrap_err();
        assert!(matches!(e, DetectionError::Refused(_)));
        // Another provider cannot scan under the demo provider's basis.
        let e = scan::scan(
            &db.store,
            &m,
            &actor(),
            "other-provider",
            d.basis.id,
            None,
            &[image_item(&png(1))],
            now(),
            "t",
        )
        .await
        .unwrap_err();
        assert!(matches!(e, DetectionError::Refused(_)));
        // A suspended basis refuses.
        basis::set_status(
            &db.store,
            &actor(),
            d.basis.id,
            BasisStatus::Suspended,
            None,
            now(),
            "t",
        )
        .await
        .unwrap();
        let e = scan_one(&db.store, &m, d.basis.id, &png(1), now())
            .await
            .unwrap_err();
        assert!(e.to_string().contains("suspended"), "{e}");
        // Nothing was recorded by any refused scan.
        let f = transparency::figures(&db.store, None, 2026).await.unwrap();
        assert_eq!(f.scans, 0, "{}", db.label);
    }
}

fn order(
    received: Timestamp,
    from: Timestamp,
    until: Timestamp,
    types: Vec<ContentType>,
) -> NewBasis {
    NewBasis {
        kind: BasisKind::Order,
        provider: "p".into(),
        service: "s".into(),
        content_types: types,
        lists: vec![],
        policy: MatchPolicy::default(),
        valid_from: from,
        valid_until: until,
        order: Some(OrderFacts {
            reference: "DO-1".into(),
            issuing_authority: "court".into(),
            coordinating_authority: "CA".into(),
            member_state: Country::Germany,
            received_at: received,
            statement_of_reasons: "significant risk".into(),
            interpersonal: false,
        }),
        voluntary: None,
        specific_measure: None,
    }
}

/// A specific measure of the demo provider on its demo service against
/// terrorist content (TCO Regulation Art. 5), after an exposure decision
/// notified at `notified`, in force from `from` for 90 days.
fn specific_measure(notified: Timestamp, from: Timestamp) -> NewBasis {
    NewBasis {
        kind: BasisKind::SpecificMeasure,
        provider: demo::DEMO_PROVIDER.into(),
        service: demo::DEMO_SERVICE.into(),
        content_types: vec![ContentType::Known],
        lists: vec![],
        policy: MatchPolicy::default(),
        valid_from: from,
        valid_until: from.plus(TimeDelta::days(90)),
        order: None,
        voluntary: None,
        specific_measure: Some(SpecificMeasureFacts {
            exposure_decision: "EXP-2026-4".into(),
            competent_authority: "National TCO authority".into(),
            member_state: Country::Ireland,
            notified_at: notified,
        }),
    }
}

#[test]
fn tco_art_5_specific_measures_follow_an_exposure_decision() {
    let notified = now().plus(TimeDelta::days(-10));
    basis::validate(&specific_measure(notified, notified)).unwrap();
    let refused = |b: NewBasis, field: &str, rule: &str| {
        let e = basis::validate(&b).unwrap_err();
        assert!(
            matches!(&e, DetectionError::Invalid { field: f, .. } if f == field),
            "{field}: {e}"
        );
        assert!(e.to_string().contains(rule), "{rule}: {e}");
    };
    // Art. 5(4): the exposure decision is required and named.
    let mut b = specific_measure(notified, notified);
    b.specific_measure = None;
    refused(b, "specific_measure", "Art. 5(4)");
    let mut b = specific_measure(notified, notified);
    if let Some(m) = b.specific_measure.as_mut() {
        m.exposure_decision = " ".into();
    }
    refused(b, "specific_measure.exposure_decision", "Art. 5(4)");
    // The measure answers the decision: not before the provider was notified.
    refused(
        specific_measure(notified, notified.plus(TimeDelta::days(-1))),
        "valid_from",
        "Art. 5(2), (4)",
    );
    // Known terrorist content only: new material and solicitation are CSA concepts.
    let mut b = specific_measure(notified, notified);
    b.content_types = vec![ContentType::Known, ContentType::New];
    refused(b, "content_types", "Art. 5(2)");
    // The facts of another kind of basis do not belong on it.
    let mut b = specific_measure(notified, notified);
    b.order = order(now(), now(), now(), vec![ContentType::Known]).order;
    refused(b, "order", "not allowed on a specific measure");
}

fn months(ts: Timestamp, m: u32) -> Timestamp {
    Timestamp::from_datetime(ts.as_datetime().checked_add_months(Months::new(m)).unwrap())
}

#[test]
fn csa_art_7_9_order_periods() {
    let r = now();
    let ok = order(r, months(r, 3), months(r, 27), vec![ContentType::Known]);
    basis::validate(&ok).unwrap();
    // Start earlier than 3 months after receipt.
    let e = basis::validate(&order(
        r,
        months(r, 2),
        months(r, 20),
        vec![ContentType::Known],
    ))
    .unwrap_err();
    assert!(
        e.to_string().contains("Art. 7(9)") && e.to_string().contains("valid_from"),
        "{e}"
    );
    // Start later than 12 months after receipt.
    assert!(
        basis::validate(&order(
            r,
            months(r, 13),
            months(r, 20),
            vec![ContentType::Known]
        ))
        .is_err()
    );
    // Longer than 24 months.
    let e = basis::validate(&order(
        r,
        months(r, 3),
        months(r, 28),
        vec![ContentType::Known],
    ))
    .unwrap_err();
    assert!(e.to_string().contains("24 months"), "{e}");
    // Solicitation: at most 12 months and only interpersonal communications (Art. 7(7)).
    let e = basis::validate(&order(
        r,
        months(r, 3),
        months(r, 16),
        vec![ContentType::Solicitation],
    ))
    .unwrap_err();
    assert!(e.to_string().contains("12 months"), "{e}");
    let e = basis::validate(&order(
        r,
        months(r, 3),
        months(r, 14),
        vec![ContentType::Solicitation],
    ))
    .unwrap_err();
    assert!(e.to_string().contains("Art. 7(7)"), "{e}");
}

#[test]
fn voluntary_basis_must_lie_within_its_instrument() {
    // Regulation (EU) 2021/1232 applied until 3 August 2024: a basis under
    // it cannot reach into 2026.
    let mut b = basis::demo_voluntary("p", "s", now(), 30).unwrap();
    assert_eq!(
        b.voluntary.as_ref().unwrap().instrument,
        Instrument::R2026_1881
    );
    b.voluntary.as_mut().unwrap().instrument = Instrument::R2021_1232;
    let e = basis::validate(&b).unwrap_err();
    assert!(e.to_string().contains("2021/1232"), "{e}");
    // In the gap of 4 April - 30 July 2026 no instrument applies.
    assert!(basis::demo_voluntary("p", "s", t("2026-05-01T00:00:00Z"), 30).is_none());
}

#[test]
fn instrument_window_overrides_are_parsed_strictly() {
    // The windows of 2024/1307 and 2026/1881 are unverified in the spec
    // (detection.md 8.2.1), so a deployment may override them; a mistyped
    // override must be an error naming the variable, never ignored.
    let var = basis::instrument_window_variable(Instrument::R2026_1881);
    assert_eq!(var, "BULWARK_INSTRUMENT_WINDOW_2026_1881");
    let parse = |value: &'static str| {
        let var = var.clone();
        basis::parse_instrument_windows(move |v| (v == var).then(|| value.to_string()))
    };
    let w = parse(" 2026-08-01 / 2028-04-03 ").unwrap();
    let got = w.iter().find(|x| x.0 == Instrument::R2026_1881).unwrap();
    assert_eq!(
        (got.1, got.2),
        (t("2026-08-01T00:00:00Z"), t("2028-04-03T00:00:00Z"))
    );
    // The others keep their defaults.
    let other = w.iter().find(|x| x.0 == Instrument::R2021_1232).unwrap();
    assert_eq!(
        (other.1, other.2),
        basis::default_instrument_window(Instrument::R2021_1232)
    );
    for bad in [
        "2026-08-01",
        "2026-13-01/2028-04-03",
        "2028-04-03/2026-08-01",
        "x/y",
        "2026-08-01/2026-08-01",
    ] {
        let e = parse(bad).unwrap_err();
        assert!(e.is_bad_input());
        let text = e.to_string();
        assert!(
            text.contains("BULWARK_INSTRUMENT_WINDOW_2026_1881"),
            "{bad}: {text}"
        );
        assert!(text.contains("YYYY-MM-DD/YYYY-MM-DD"), "{bad}: {text}");
    }
    // Nothing set: the defaults.
    let d = basis::parse_instrument_windows(|_| None).unwrap();
    for (i, a, b) in d {
        assert_eq!((a, b), basis::default_instrument_window(i));
    }
}

fn payload(
    version: u64,
    prev: Option<String>,
    add: Vec<IndicatorEntry>,
    remove: Vec<String>,
) -> ListPayload {
    ListPayload {
        list_id: "L".into(),
        issuer: "EU Centre (test)".into(),
        category: Category::Csam,
        source: "CSA Art. 44(1)(a)".into(),
        version,
        previous_digest: prev,
        issued_at: now(),
        add,
        remove,
    }
}

fn entry(id: &str, hex: &str) -> IndicatorEntry {
    IndicatorEntry {
        id: id.into(),
        pdq: Some(hex.into()),
        md5: None,
        sha256: None,
        quality: Some(90),
    }
}

/// Imports version 1 of list `list_id` of `category`, issued and signed by
/// `key` (already trusted), holding the one indicator `id` with PDQ `hex`.
async fn import_one(
    s: &Store,
    key: &KeyPair,
    list_id: &str,
    category: Category,
    id: &str,
    hex: &str,
) {
    let mut p = payload(1, None, vec![entry(id, hex)], vec![]);
    p.list_id = list_id.into();
    p.category = category;
    p.issuer = key.public().issuer;
    lists::import(s, &actor(), &sign_list(key, &p).unwrap(), now(), "t")
        .await
        .unwrap();
}

/// Orders and voluntary bases concern child sexual abuse only (CSA proposal
/// Art. 10(1) and 44(1)(a); Regulation (EU) 2021/1232 Art. 1): a
/// terrorist-content indicator never matches under them (that takes a TCO
/// Art. 5 specific measure), the same hash on a CSAM list does.
#[tokio::test]
async fn terrorist_indicators_never_match_under_csa_bases() {
    let key = KeyPair::generate("EU Centre (test)");
    let h = "5a5a0f0f3c3c9696a5a5f0f0c3c369695a5a0f0f3c3c9696a5a5f0f0c3c36969";
    for db in dbs().await {
        let s = &db.store;
        let (_, d) = seeded(s).await;
        lists::trust_key(s, &actor(), &key.public(), IssuerRole::EuCentre, now(), "t")
            .await
            .unwrap();
        import_one(s, &key, "TCO", Category::Terrorist, "t1", h).await;
        let m = Matcher::load(s).await.unwrap();
        let r = scan_hash(s, &m, d.basis.id, h).await;
        assert_eq!(r.outcome, Outcome::NoMatch, "{}", db.label);
        assert!(!r.matched && r.matches.is_empty(), "{}", db.label);
        import_one(s, &key, "CSAM", Category::Csam, "c1", h).await;
        let m = Matcher::load(s).await.unwrap();
        let r = scan_hash(s, &m, d.basis.id, h).await;
        assert_eq!(r.outcome, Outcome::Matched, "{}", db.label);
        assert_eq!(r.matches.len(), 1, "{}", db.label);
        assert_eq!(r.matches[0].list_id, "CSAM", "{}", db.label);
    }
}

/// Trusts `key` as a source other than the EU Centre, imports one-indicator
/// lists `(list, category, indicator, hash)` signed with it, and declares a
/// specific measure in force (notified ten days ago); returns the matcher
/// loaded after that and the basis.
async fn with_specific_measure(
    s: &Store,
    key: &KeyPair,
    lists: &[(&str, Category, &str, &str)],
) -> (Matcher, basis::Basis) {
    lists::trust_key(s, &actor(), &key.public(), IssuerRole::Other, now(), "t")
        .await
        .unwrap();
    for (list, category, id, hex) in lists {
        import_one(s, key, list, *category, id, hex).await;
    }
    let m = Matcher::load(s).await.unwrap();
    let notified = now().plus(TimeDelta::days(-10));
    let measure = basis::create(
        s,
        &actor(),
        specific_measure(notified, notified),
        now(),
        "t",
    )
    .await
    .unwrap();
    (m, measure)
}

/// Terrorist content is detected only under a specific measure of a provider
/// exposed to it (TCO Regulation Art. 5(2)), and such a measure covers
/// terrorist content only: under it the terrorist indicator matches and the
/// child sexual abuse indicator does not; a confirmed match under it is not
/// reported to the EU Centre (CSA proposal Art. 12 concerns child sexual abuse).
#[tokio::test]
async fn tco_art_5_specific_measures_match_terrorist_indicators_only() {
    let key = KeyPair::generate("EU Centre (test)");
    let h_tco = "3c3c96960f0f5a5ac3c36969f0f0a5a53c3c96960f0f5a5ac3c36969f0f0a5a5";
    let h_csam = "96963c3c5a5a0f0f6969c3c3a5a5f0f096963c3c5a5a0f0f6969c3c3a5a5f0f0";
    for db in dbs().await {
        let s = &db.store;
        let (_, d) = seeded(s).await;
        let (m, measure) = with_specific_measure(
            s,
            &key,
            &[
                ("TCO", Category::Terrorist, "t1", h_tco),
                ("CSAM", Category::Csam, "c1", h_csam),
            ],
        )
        .await;
        let r = scan_hash(s, &m, measure.id, h_tco).await;
        assert_eq!(r.outcome, Outcome::Matched, "{}", db.label);
        assert_eq!(r.matches[0].list_id, "TCO", "{}", db.label);
        let r2 = scan_hash(s, &m, measure.id, h_csam).await;
        assert_eq!(r2.outcome, Outcome::NoMatch, "{}", db.label);
        // The CSA basis still matches the CSAM indicator and not the terrorist one.
        assert_eq!(
            scan_hash(s, &m, d.basis.id, h_csam).await.outcome,
            Outcome::Matched
        );
        assert_eq!(
            scan_hash(s, &m, d.basis.id, h_tco).await.outcome,
            Outcome::NoMatch
        );
        // Human verification (Art. 5(3)) through the review queue, then no CSA report.
        let id = r.matches[0].match_id;
        confirm(s, &m, id).await;
        let e = reports::create(s, &actor(), report_of(id), None, now(), "t")
            .await
            .unwrap_err();
        assert!(matches!(e, DetectionError::Refused(_)), "{e}");
        assert!(e.to_string().contains("TCO Art. 14(5)"), "{e}");
        // Each regime's figures apart (TCO Art. 7(3)(c); CSA Art. 83(1)).
        let f = transparency::figures(s, Some(demo::DEMO_PROVIDER), 2026)
            .await
            .unwrap();
        let kinds: Vec<_> = f
            .by_basis_kind
            .iter()
            .map(|k| (k.kind, k.matches, k.confirmed, k.rejected))
            .collect();
        assert_eq!(
            kinds,
            vec![
                (BasisKind::SpecificMeasure, 1, 1, 0),
                (BasisKind::Voluntary, 1, 0, 0)
            ],
            "{}",
            db.label
        );
        assert!(
            reports::list(s, reports::ReportScope::All)
                .await
                .unwrap()
                .is_empty(),
            "{}",
            db.label
        );
    }
}

/// A match of a terrorist-content indicator under a specific measure in
/// force (the demo seeded too); returns the matcher and the match.
async fn terrorist_match(s: &Store) -> (Matcher, scan::MatchId) {
    let key = KeyPair::generate("EU Centre (test)");
    let h_tco = "3c3c96960f0f5a5ac3c36969f0f0a5a53c3c96960f0f5a5ac3c36969f0f0a5a5";
    seeded(s).await;
    let (m, measure) =
        with_specific_measure(s, &key, &[("TCO", Category::Terrorist, "t1", h_tco)]).await;
    let id = scan_hash(s, &m, measure.id, h_tco).await.matches[0].match_id;
    (m, id)
}

/// TCO Art. 6(1): content removed after a confirmed match under a specific
/// measure is preserved (Bulwark: the match, the scan's hash and the content
/// reference) for six months from the removal, even past the scans' own
/// 12-month limit; TCO Art. 5(3): only after human verification; TCO Art.
/// 7(3)(c): counted in the year's figures for specific measures.
#[tokio::test]
async fn tco_art_6_content_removed_under_a_specific_measure_is_preserved_six_months() {
    for db in dbs().await {
        let s = &db.store;
        let (m, id) = terrorist_match(s).await;
        let removed = review::RemovalRecord {
            action: ContentAction::Removed,
            at: None,
        };
        let record = |at: Timestamp, r: review::RemovalRecord| async move {
            review::record_removal(s, &actor(), id, &r, None, at, "t").await
        };
        // Not before a reviewer confirmed it (Art. 5(3)).
        let e = record(now(), removed.clone()).await.unwrap_err();
        assert!(
            matches!(e, DetectionError::Conflict(_)),
            "{}: {e}",
            db.label
        );
        assert!(e.to_string().contains("Art. 5(3)"), "{e}");
        confirm(s, &m, id).await;
        // Not in the future, not before the confirmation.
        for at in [
            now().plus(TimeDelta::hours(1)),
            now().plus(TimeDelta::hours(-1)),
        ] {
            let e = record(
                now(),
                review::RemovalRecord {
                    action: ContentAction::Removed,
                    at: Some(at),
                },
            )
            .await
            .unwrap_err();
            assert!(e.to_string().contains("`at`"), "{}: {e}", db.label);
        }
        // Removed seven months after the scan: preserved six months from then.
        let at = months(now(), 7);
        let done = record(at, removed.clone()).await.unwrap();
        let removal = done.matched.removal.clone().unwrap();
        assert_eq!(removal.action, ContentAction::Removed);
        assert_eq!(removal.at, at);
        let after = |n: u32| months(now(), n);
        assert_eq!(removal.preserve_until, after(13), "{}", db.label);
        let audit = bulwark_store::audit::recent(s, 1).await.unwrap().remove(0);
        assert_eq!(audit.action, "detection.match.removal");
        assert_eq!(audit.details["regime"], "tco");
        // Once.
        let e = record(at, removed.clone()).await.unwrap_err();
        assert!(matches!(e, DetectionError::Conflict(_)), "{e}");
        // Twelve and a half months after the scan, its hash is still kept ...
        let hash_at = |t: Timestamp| async move {
            retention::purge(s, &actor(), t).await.unwrap();
            review::get(s, id, None).await.unwrap().matched.scanned_hash
        };
        let half = TimeDelta::days(15);
        assert!(
            hash_at(after(12).plus(half)).await.is_some(),
            "{}",
            db.label
        );
        // ... and purged once the preservation ended.
        assert_eq!(hash_at(after(13).plus(half)).await, None, "{}", db.label);
        // Counted in the year of the removal, apart for specific measures.
        let f = transparency::figures(s, Some(demo::DEMO_PROVIDER), 2027)
            .await
            .unwrap();
        let kinds: Vec<_> = f
            .by_basis_kind
            .iter()
            .map(|k| (k.kind, k.matches, k.removed))
            .collect();
        assert_eq!(
            kinds,
            vec![(BasisKind::SpecificMeasure, 0, 1)],
            "{}",
            db.label
        );
    }
}

/// TCO Art. 6(2) (and CSA proposal Art. 22(2)): at a competent authority's
/// or court's request the preservation runs longer; the purge follows the
/// new end. Only removed content, only to lengthen, with who asked and why.
#[tokio::test]
async fn tco_art_6_2_preservation_is_extended_at_an_authoritys_request() {
    for db in dbs().await {
        let s = &db.store;
        let (m, id) = terrorist_match(s).await;
        let after = |n: u32| months(now(), n);
        let request = |until: Timestamp, by: &str| review::PreservationRequest {
            until,
            requested_by: by.into(),
            reference: "LG-2026-17".into(),
        };
        let extend = |r: review::PreservationRequest| async move {
            review::extend_preservation(s, &actor(), id, &r, None, now(), "t").await
        };
        // Nothing removed yet: nothing to preserve.
        confirm(s, &m, id).await;
        let e = extend(request(after(9), "Landgericht Berlin"))
            .await
            .unwrap_err();
        assert!(
            matches!(e, DetectionError::Conflict(_)),
            "{}: {e}",
            db.label
        );
        review::record_removal(
            s,
            &actor(),
            id,
            &review::RemovalRecord {
                action: ContentAction::Removed,
                at: None,
            },
            None,
            now(),
            "t",
        )
        .await
        .unwrap();
        // Who asked is required; the new end must lie after the current one.
        let e = extend(request(after(9), " ")).await.unwrap_err();
        assert!(e.to_string().contains("`requested_by`"), "{e}");
        let e = extend(request(after(5), "Landgericht Berlin"))
            .await
            .unwrap_err();
        assert!(e.to_string().contains("`until`"), "{e}");
        let done = extend(request(after(14), "Landgericht Berlin"))
            .await
            .unwrap();
        let removal = done.matched.removal.unwrap();
        assert_eq!(removal.preserve_until, after(14), "{}", db.label);
        assert_eq!(removal.extended.unwrap().requested_by, "Landgericht Berlin");
        let audit = bulwark_store::audit::recent(s, 1).await.unwrap().remove(0);
        assert_eq!(audit.action, "detection.match.preservation");
        assert_eq!(audit.details["previous_until"], after(6).to_rfc3339());
        // The purge keeps the scan's hash past its 12 months until the new end.
        let half = TimeDelta::days(15);
        let hash_at = |t: Timestamp| async move {
            retention::purge(s, &actor(), t).await.unwrap();
            review::get(s, id, None).await.unwrap().matched.scanned_hash
        };
        assert!(
            hash_at(after(13).plus(half)).await.is_some(),
            "{}",
            db.label
        );
        assert_eq!(hash_at(after(14).plus(half)).await, None, "{}", db.label);
    }
}

/// CSA proposal Art. 22(1): after a confirmed match under a voluntary basis
/// or an order, the data are kept at most 12 months from the report or the
/// removal, whichever came first.
#[tokio::test]
async fn csa_art_22_1_preservation_runs_from_the_report_or_the_removal_whichever_first() {
    for db in dbs().await {
        let s = &db.store;
        let (m, d) = seeded(s).await;
        let png = png(4);
        let r = scan_item(s, &m, d.basis.id, image_item(&png), now())
            .await
            .unwrap();
        let id = r.matches[0].match_id;
        confirm(s, &m, id).await;
        reports::create(s, &actor(), report_of(id), None, now(), "t")
            .await
            .unwrap();
        let later = now().plus(TimeDelta::days(60));
        let done = review::record_removal(
            s,
            &actor(),
            id,
            &review::RemovalRecord {
                action: ContentAction::Disabled,
                at: None,
            },
            None,
            later,
            "t",
        )
        .await
        .unwrap();
        let removal = done.matched.removal.unwrap();
        assert_eq!(removal.action, ContentAction::Disabled);
        assert_eq!(removal.at, later);
        let year = Timestamp::from_datetime(
            now()
                .as_datetime()
                .checked_add_months(Months::new(12))
                .unwrap(),
        );
        assert_eq!(
            removal.preserve_until, year,
            "from the report ({})",
            db.label
        );
        let audit = bulwark_store::audit::recent(s, 1).await.unwrap().remove(0);
        assert_eq!(audit.details["regime"], "csa");
    }
}

/// A detection order executes with the EU Centre's indicators only (CSA
/// proposal Art. 10(1)): a list signed by a key trusted as another source (a
/// hotline) never matches under an order, and does under a voluntary basis.
#[tokio::test]
async fn csa_art_10_1_orders_use_only_eu_centre_indicators() {
    let centre = KeyPair::generate("EU Centre (test)");
    let hotline = KeyPair::generate("Hotline (test)");
    let h_centre = "0f0f0f0f5a5a5a5a3c3c3c3c969696960f0f0f0f5a5a5a5a3c3c3c3c96969696";
    let h_hotline = "f0f0f0f0a5a5a5a5c3c3c3c369696969f0f0f0f0a5a5a5a5c3c3c3c369696969";
    for db in dbs().await {
        let s = &db.store;
        let (_, d) = seeded(s).await;
        lists::trust_key(
            s,
            &actor(),
            &centre.public(),
            IssuerRole::EuCentre,
            now(),
            "t",
        )
        .await
        .unwrap();
        lists::trust_key(
            s,
            &actor(),
            &hotline.public(),
            IssuerRole::Other,
            now(),
            "t",
        )
        .await
        .unwrap();
        import_one(s, &centre, "CENTRE", Category::Csam, "c1", h_centre).await;
        import_one(s, &hotline, "HOTLINE", Category::Csam, "h1", h_hotline).await;
        let m = Matcher::load(s).await.unwrap();
        assert!(m.is_eu_centre_list("CENTRE") && !m.is_eu_centre_list("HOTLINE"));
        // An order received five months ago, in force since last month.
        let mut o = order(
            now().plus(TimeDelta::days(-150)),
            now().plus(TimeDelta::days(-30)),
            now().plus(TimeDelta::days(300)),
            vec![ContentType::Known],
        );
        o.provider = demo::DEMO_PROVIDER.into();
        o.service = demo::DEMO_SERVICE.into();
        let ob = basis::create(s, &actor(), o, now(), "t").await.unwrap();
        let r = scan_hash(s, &m, ob.id, h_centre).await;
        assert_eq!(r.outcome, Outcome::Matched, "{}", db.label);
        assert_eq!(r.matches[0].list_id, "CENTRE");
        let r = scan_hash(s, &m, ob.id, h_hotline).await;
        assert_eq!(
            r.outcome,
            Outcome::NoMatch,
            "{}: hotline list under an order",
            db.label
        );
        // The voluntary basis may use the hotline's list.
        let r = scan_hash(s, &m, d.basis.id, h_hotline).await;
        assert_eq!(r.outcome, Outcome::Matched, "{}", db.label);
        assert_eq!(r.matches[0].list_id, "HOTLINE");
    }
}

#[tokio::test]
async fn list_import_checks_signature_and_version_chain() {
    let key = KeyPair::generate("EU Centre (test)");
    let h1 = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";
    let h2 = "0000000000000000000000000000000000000000000000000000000000000001";
    for db in dbs().await {
        let s = &db.store;
        let m = Matcher::load(s).await.unwrap();
        let v1 = sign_list(&key, &payload(1, None, vec![entry("a", h1)], vec![])).unwrap();
        // Untrusted key: refused.
        let e = lists::import(s, &actor(), &v1, now(), "t")
            .await
            .unwrap_err();
        assert!(e.to_string().contains("not a trusted issuer key"), "{e}");
        lists::trust_key(s, &actor(), &key.public(), IssuerRole::EuCentre, now(), "t")
            .await
            .unwrap();
        // Tampered payload: refused.
        let mut bad = v1.clone();
        bad.payload = bad.payload.replace(h1, h2);
        let e = lists::import(s, &actor(), &bad, now(), "t")
            .await
            .unwrap_err();
        assert!(e.to_string().contains("signature does not verify"), "{e}");
        // Version 2 before version 1: refused.
        let d1 = lists::digest_of(&v1);
        let v2 = sign_list(
            &key,
            &payload(2, Some(d1.clone()), vec![entry("b", h2)], vec!["a".into()]),
        )
        .unwrap();
        let e = lists::import(s, &actor(), &v2, now(), "t")
            .await
            .unwrap_err();
        assert!(e.to_string().contains("version 1 must come first"), "{e}");
        let c1 = lists::import(s, &actor(), &v1, now(), "t").await.unwrap();
        assert_eq!(m.catch_up(s).await.unwrap(), c1.added.len());
        assert_eq!(m.len(), 1);
        // Replay of version 1: refused.
        let e = lists::import(s, &actor(), &v1, now(), "t")
            .await
            .unwrap_err();
        assert!(e.to_string().contains("replayed"), "{e}");
        // Version 3 skipping 2: refused.
        let v3 = sign_list(&key, &payload(3, Some(d1.clone()), vec![], vec![])).unwrap();
        let e = lists::import(s, &actor(), &v3, now(), "t")
            .await
            .unwrap_err();
        assert!(e.to_string().contains("out of order"), "{e}");
        // Version 2 naming a wrong previous digest: refused.
        let wrong = sign_list(&key, &payload(2, Some("00".repeat(32)), vec![], vec![])).unwrap();
        let e = lists::import(s, &actor(), &wrong, now(), "t")
            .await
            .unwrap_err();
        assert!(e.to_string().contains("chain broken"), "{e}");
        // The right version 2 applies as a diff to the live matcher.
        let c2 = lists::import(s, &actor(), &v2, now(), "t").await.unwrap();
        assert_eq!(
            m.catch_up(s).await.unwrap(),
            c2.added.len() + c2.removed.len()
        );
        assert_eq!(m.len(), 1);
        let q = |hex: &str| {
            m.query_pdq(
                &[("orig", bulwark_hamming::Hash256::from_hex(hex).unwrap())],
                0,
            )
        };
        assert!(q(h1).is_empty(), "removed indicator still matches");
        assert_eq!(q(h2).len(), 1);
        // A reloaded matcher agrees with the live one.
        let reloaded = Matcher::load(s).await.unwrap();
        assert_eq!(reloaded.len(), 1);
        assert_eq!(reloaded.list_version("L"), Some(2));
        // Nothing half-written by the refusals: two versions recorded.
        let l = lists::list(s).await.unwrap();
        assert_eq!(l[0].version, 2, "{}", db.label);
        assert_eq!((l[0].active, l[0].inactive), (1, 1));
    }
}

/// A distinct 64-hex-digit hash for indicator `i` of generation `g`.
fn nth_hash(i: usize, g: u8) -> String {
    format!("{g:02x}{:062x}", (i as u128 + 1) * 0x9e37_79b9_7f4a_7c15)
}

/// Versions larger than one statement's worth of rows (imported in chunks):
/// diffs apply in order, a removed indicator comes back under its old index
/// id with its new hash, and a bad entry deep in a version refuses the whole
/// version, naming its position, with nothing written.
#[tokio::test]
async fn large_versions_apply_as_diffs_and_refuse_whole() {
    let key = KeyPair::generate("EU Centre (test)");
    for db in dbs().await {
        let s = &db.store;
        lists::trust_key(s, &actor(), &key.public(), IssuerRole::EuCentre, now(), "t")
            .await
            .unwrap();
        let m = Matcher::load(s).await.unwrap();
        let adds: Vec<IndicatorEntry> = (0..250)
            .map(|i| entry(&format!("i{i}"), &nth_hash(i, 1)))
            .collect();
        let v1 = sign_list(&key, &payload(1, None, adds, vec![])).unwrap();
        let c1 = lists::import(s, &actor(), &v1, now(), "t").await.unwrap();
        assert_eq!(c1.added, (1..=250).collect::<Vec<i64>>(), "{}", db.label);
        let d1 = lists::digest_of(&v1);
        // An unknown id at position 180 of the removals: the whole version is refused.
        let mut remove: Vec<String> = (0..180).map(|i| format!("i{i}")).collect();
        remove.push("nope".into());
        let bad = sign_list(&key, &payload(2, Some(d1.clone()), vec![], remove)).unwrap();
        let e = lists::import(s, &actor(), &bad, now(), "t")
            .await
            .unwrap_err();
        assert!(e.to_string().contains("remove[180]"), "{e}");
        // An id already listed, at position 130 of the additions: refused too.
        let mut dup: Vec<IndicatorEntry> = (0..130)
            .map(|i| entry(&format!("n{i}"), &nth_hash(i, 2)))
            .collect();
        dup.push(entry("i7", &nth_hash(7, 2)));
        let bad = sign_list(&key, &payload(2, Some(d1.clone()), dup, vec![])).unwrap();
        let e = lists::import(s, &actor(), &bad, now(), "t")
            .await
            .unwrap_err();
        assert!(e.to_string().contains("add[130]"), "{e}");
        assert_eq!(lists::list(s).await.unwrap()[0].version, 1);
        assert_eq!(m.catch_up(s).await.unwrap(), 250, "{}", db.label);
        // Version 2 removes 150 (across chunks).
        let v2 = sign_list(
            &key,
            &payload(
                2,
                Some(d1),
                vec![],
                (0..150).map(|i| format!("i{i}")).collect(),
            ),
        )
        .unwrap();
        let c2 = lists::import(s, &actor(), &v2, now(), "t").await.unwrap();
        assert_eq!(c2.removed.len(), 150);
        // Version 3 brings i3 back with a new hash, and adds a new one.
        let v3 = sign_list(
            &key,
            &payload(
                3,
                Some(lists::digest_of(&v2)),
                vec![entry("i3", &nth_hash(3, 3)), entry("x", &nth_hash(0, 4))],
                vec![],
            ),
        )
        .unwrap();
        let c3 = lists::import(s, &actor(), &v3, now(), "t").await.unwrap();
        assert_eq!(c3.added, vec![4, 251], "{}: i3 keeps index id 4", db.label);
        m.catch_up(s).await.unwrap();
        assert_eq!(m.len(), 102, "{}", db.label);
        let q = |hex: &str| {
            m.query_pdq(
                &[("orig", bulwark_hamming::Hash256::from_hex(hex).unwrap())],
                0,
            )
        };
        assert!(q(&nth_hash(3, 1)).is_empty(), "i3's old hash still matches");
        assert_eq!(q(&nth_hash(3, 3))[0].meta.indicator_id, "i3");
        assert!(
            q(&nth_hash(10, 1)).is_empty(),
            "a removed indicator matches"
        );
        assert_eq!(q(&nth_hash(200, 1)).len(), 1);
        let reloaded = Matcher::load(s).await.unwrap();
        assert_eq!(reloaded.len(), 102);
        assert_eq!(reloaded.list_version("L"), Some(3));
        // The load reads seq ranges in parallel: every active indicator is in it once (seqs
        // 4, 151..=250 and 251, with the removed 1..=150 around i3 as a gap), none removed.
        let found = |m: &Matcher, hex: &str| -> Vec<String> {
            m.query_pdq(
                &[("orig", bulwark_hamming::Hash256::from_hex(hex).unwrap())],
                0,
            )
            .into_iter()
            .map(|c| c.meta.indicator_id.to_string())
            .collect()
        };
        for i in 150..250 {
            assert_eq!(
                found(&reloaded, &nth_hash(i, 1)),
                vec![format!("i{i}")],
                "{}",
                db.label
            );
        }
        assert_eq!(found(&reloaded, &nth_hash(3, 3)), vec!["i3".to_string()]);
        assert_eq!(found(&reloaded, &nth_hash(0, 4)), vec!["x".to_string()]);
        for i in (0..150).filter(|&i| i != 3) {
            assert!(found(&reloaded, &nth_hash(i, 1)).is_empty(), "i{i} removed");
        }
    }
}

/// On a deployment several providers share, a provider that disables or
/// quarantines an indicator takes it out of its own scans only (an API
/// caller cannot switch detection off for the others); back to `active`,
/// it matches again. Another process's matcher catches up too.
#[tokio::test]
async fn a_providers_own_indicator_status_leaves_other_providers_scans_alone() {
    const OTHER: &str = "Other provider";
    for db in dbs().await {
        let s = &db.store;
        let (m, d) = seeded(s).await;
        let other = basis::create(
            s,
            &actor(),
            basis::demo_voluntary(OTHER, demo::DEMO_SERVICE, now(), 30).unwrap(),
            now(),
            "t",
        )
        .await
        .unwrap();
        let scan_as = |provider: &'static str, b: basis::BasisId| {
            let m = &m;
            async move {
                scan::scan(
                    s,
                    m,
                    &actor(),
                    provider,
                    b,
                    None,
                    &[image_item(&png(3))],
                    now(),
                    "t",
                )
                .await
                .unwrap()
                .remove(0)
            }
        };
        let r = scan_as(demo::DEMO_PROVIDER, d.basis.id).await;
        let seq = review::get(s, r.matches[0].match_id, None)
            .await
            .unwrap()
            .indicator
            .seq;
        let set = |status, provider: Option<&'static str>| async move {
            lists::set_status(
                s,
                &actor(),
                seq,
                status,
                "false positives here",
                provider,
                now(),
                "t",
            )
            .await
            .unwrap()
        };
        let v = set(IndicatorStatus::Disabled, Some(demo::DEMO_PROVIDER)).await;
        assert_eq!(
            (v.status, v.local_status),
            (IndicatorStatus::Active, Some(IndicatorStatus::Disabled)),
            "{}",
            db.label
        );
        assert_eq!(
            v.history.last().and_then(|e| e.provider.as_deref()),
            Some(demo::DEMO_PROVIDER)
        );
        m.catch_up(s).await.unwrap();
        let fresh = Matcher::load(s).await.unwrap();
        for matcher in [&m, &fresh] {
            assert!(matcher.is_off_for(demo::DEMO_PROVIDER, seq), "{}", db.label);
            assert!(!matcher.is_off_for(OTHER, seq), "{}", db.label);
        }
        assert_eq!(
            scan_as(demo::DEMO_PROVIDER, d.basis.id).await.outcome,
            Outcome::NoMatch,
            "{}",
            db.label
        );
        assert_eq!(
            scan_as(OTHER, other.id).await.outcome,
            Outcome::Matched,
            "{}",
            db.label
        );
        // The other provider sees neither the status nor its event.
        let seen = lists::indicator_for(s, seq, Some(OTHER)).await.unwrap();
        assert_eq!(seen.local_status, None);
        assert!(seen.history.iter().all(|e| e.provider.is_none()));
        let audit = bulwark_store::audit::recent(s, 3).await.unwrap();
        assert!(
            audit
                .iter()
                .any(|r| r.action == "detection.indicator.status"
                    && r.details["scope"] == "provider"),
            "{}",
            db.label
        );
        // Back to active for the provider: it matches again.
        set(IndicatorStatus::Active, Some(demo::DEMO_PROVIDER)).await;
        m.catch_up(s).await.unwrap();
        assert_eq!(
            scan_as(demo::DEMO_PROVIDER, d.basis.id).await.outcome,
            Outcome::Matched,
            "{}",
            db.label
        );
    }
}

#[tokio::test]
async fn disabled_and_negative_listed_never_match() {
    for db in dbs().await {
        let s = &db.store;
        let (m, d) = seeded(s).await;
        // A matcher of another process (a second server on the same
        // database): it sees none of the calls below, only the store.
        let other = Matcher::load(&Store::open(&db.location).await.unwrap())
            .await
            .unwrap();
        // Disable the indicator of image 2: its exact copy no longer matches.
        let r = scan_one(s, &m, d.basis.id, &png(2), now()).await.unwrap();
        let seq = review::get(s, r.matches[0].match_id, None)
            .await
            .unwrap()
            .indicator
            .seq;
        lists::set_status(
            s,
            &actor(),
            seq,
            IndicatorStatus::Disabled,
            "too many false positives",
            None,
            now(),
            "t",
        )
        .await
        .unwrap();
        m.catch_up(s).await.unwrap();
        let r = scan_one(s, &m, d.basis.id, &png(2), now()).await.unwrap();
        assert_eq!(r.outcome, Outcome::NoMatch, "{}", db.label);
        assert!(
            Matcher::load(s)
                .await
                .unwrap()
                .query_pdq(
                    &[("orig", bulwark_hamming::Hash256::from_hex(&r.hash).unwrap())],
                    31
                )
                .is_empty()
        );
        // Quarantine too.
        let r = scan_one(s, &m, d.basis.id, &png(4), now()).await.unwrap();
        let seq4 = review::get(s, r.matches[0].match_id, None)
            .await
            .unwrap()
            .indicator
            .seq;
        lists::set_status(
            s,
            &actor(),
            seq4,
            IndicatorStatus::Quarantined,
            "flood",
            None,
            now(),
            "t",
        )
        .await
        .unwrap();
        m.catch_up(s).await.unwrap();
        assert_eq!(
            scan_one(s, &m, d.basis.id, &png(4), now())
                .await
                .unwrap()
                .outcome,
            Outcome::NoMatch
        );
        // Reject a match of image 6: the same content is negative-listed afterwards.
        let r = scan_one(s, &m, d.basis.id, &png(6), now()).await.unwrap();
        let dec = ReviewDecision {
            decision: Decision::Reject,
            reason: "benign lookalike".into(),
            negative_radius: None,
        };
        review::decide(
            s,
            &m,
            &actor(),
            r.matches[0].match_id,
            &dec,
            None,
            now(),
            "t",
        )
        .await
        .unwrap();
        let again = scan_one(s, &m, d.basis.id, &png(6), now()).await.unwrap();
        assert_eq!(again.outcome, Outcome::NegativeListed);
        assert!(again.matches.is_empty());
        let reloaded = Matcher::load(s).await.unwrap();
        assert!(reloaded.is_negative(
            demo::DEMO_PROVIDER,
            &bulwark_hamming::Hash256::from_hex(&r.hash).unwrap()
        ));
        // The rejection counts as a false positive of its list.
        let rates = review::error_rates(s, None).await.unwrap();
        let list = rates.iter().find(|x| x.scope == "list").unwrap();
        assert_eq!(list.rejected, 1);
        // The other process's matcher catches up from the change feed: the
        // disabled and quarantined indicators are out, the negative entry in.
        let before = other.len();
        assert_eq!(other.catch_up(s).await.unwrap(), 2, "{}", db.label);
        assert_eq!(other.len(), before - 2);
        assert_eq!(other.len(), m.len());
        assert!(other.is_negative(
            demo::DEMO_PROVIDER,
            &bulwark_hamming::Hash256::from_hex(&r.hash).unwrap()
        ));
        assert_eq!(other.catch_up(s).await.unwrap(), 0, "nothing new");
    }
}

#[tokio::test]
async fn only_a_confirmed_match_is_reported_and_the_report_verifies() {
    // Regulation (EU) 2021/1232 Art. 3(1)(g)(iv): human confirmation before
    // a report; CSA proposal Art. 13(1)(b): signed by the provider.
    for db in dbs().await {
        let s = &db.store;
        let (m, d) = seeded(s).await;
        let r = scan_one(s, &m, d.basis.id, &png(7), now()).await.unwrap();
        let id = r.matches[0].match_id;
        let input = reports::NewReport {
            location: reports::UploadLocation {
                ip: Some("192.0.2.7".into()),
                port: Some(51234),
                at: Some(now()),
                time_zone: Some("Europe/Brussels".into()),
            },
            ..report_of(id)
        };
        let e = reports::create(s, &actor(), input.clone(), None, now(), "t")
            .await
            .unwrap_err();
        assert!(
            e.to_string().contains("confirmed by a human reviewer"),
            "{e}"
        );
        // Annex III section 2 point 5: the port goes with the IP address.
        let mut no_port = input.clone();
        no_port.location.port = None;
        assert!(
            reports::create(s, &actor(), no_port, None, now(), "t")
                .await
                .unwrap_err()
                .to_string()
                .contains("location.port")
        );
        let dec = ReviewDecision {
            decision: Decision::Confirm,
            reason: "matches the indicator".into(),
            negative_radius: None,
        };
        review::decide(s, &m, &actor(), id, &dec, None, now(), "t")
            .await
            .unwrap();
        // Decided once.
        assert!(matches!(
            review::decide(s, &m, &actor(), id, &dec, None, now(), "t").await,
            Err(DetectionError::Conflict(_))
        ));
        // Content data (Art. 13(1)(c)) sealed to the recipient, never stored.
        let recipient = crypto_box::SecretKey::from_bytes([9u8; 32]);
        let mut with_content = input.clone();
        with_content.attachment = Some(reports::Attachment {
            recipient_key: hex::encode(recipient.public_key().as_bytes()),
            content_base64: "Q09OVEVOVC1NQVJLRVItNzc3".into(), // "CONTENT-MARKER-777"
        });
        let rep = reports::create(s, &actor(), with_content, None, now(), "t")
            .await
            .unwrap();
        rep.public_key.verify(&rep.signed).unwrap();
        let sealed = rep.sealed_attachment.as_ref().unwrap();
        let bytes = base64::Engine::decode(
            &base64::engine::general_purpose::STANDARD,
            &sealed.sealed_base64,
        )
        .unwrap();
        assert_eq!(recipient.unseal(&bytes).unwrap(), b"CONTENT-MARKER-777");
        let body: serde_json::Value = serde_json::from_str(&rep.signed.payload).unwrap();
        assert_eq!(
            body["section_2_report"]["content_data"]["sealed_sha256"],
            sealed.sha256.as_str()
        );
        assert!(!rep.signed.payload.contains("CONTENT-MARKER"));
        assert!(
            reports::list(s, reports::ReportScope::All).await.unwrap()[0]
                .sealed_attachment
                .is_none()
        );
        let body: serde_json::Value = serde_json::from_str(&rep.signed.payload).unwrap();
        assert_eq!(body["section_2_report"]["type"], "known");
        assert_eq!(body["section_2_report"]["location"]["port"], 51234);
        assert_eq!(body["marking"]["tlp"], "TLP:RED");
        assert_eq!(
            reports::list(s, reports::ReportScope::All)
                .await
                .unwrap()
                .len(),
            1
        );
        // CSA proposal Art. 12(1): the report goes to the EU Centre, which
        // sees it; another authority and another provider do not.
        assert_eq!(rep.recipient, reports::DEFAULT_RECIPIENT);
        let to = |scope| async move { reports::list(s, scope).await.unwrap().len() };
        assert_eq!(to(reports::ReportScope::Recipient("EU Centre")).await, 1);
        assert_eq!(
            to(reports::ReportScope::Recipient("Another authority")).await,
            0
        );
        assert_eq!(
            to(reports::ReportScope::Provider(demo::DEMO_PROVIDER)).await,
            1
        );
        assert_eq!(
            to(reports::ReportScope::Provider("another provider")).await,
            0
        );
        // A report stored before the recipient column: filled from its signed body.
        sqlx::query("UPDATE det_reports SET recipient = NULL")
            .execute(s.pool())
            .await
            .unwrap();
        assert_eq!(reports::fill_recipients(s).await.unwrap(), 1);
        assert_eq!(reports::fill_recipients(s).await.unwrap(), 0);
        assert_eq!(to(reports::ReportScope::Recipient("EU Centre")).await, 1);
        // Twice: refused.
        assert!(
            reports::create(s, &actor(), input, None, now(), "t")
                .await
                .is_err()
        );
    }
}

fn tco_order(received: Timestamp) -> NewRemovalOrder {
    NewRemovalOrder {
        regime: RemovalRegime::Tco,
        reference: "TCO-DE-1".into(),
        authority: "BKA".into(),
        member_state: Country::Germany,
        provider: demo::DEMO_PROVIDER.into(),
        items: vec![OrderedItem {
            url: "https://demo.example/p/1".into(),
            content_ref: None,
        }],
        reasons: "Art. 2(7)(a) incitement".into(),
        received_at: Some(received),
        cross_border: false,
    }
}

#[tokio::test]
async fn tco_art_3_3_one_hour_clock_and_art_6_preservation() {
    for db in dbs().await {
        let s = &db.store;
        let received = now();
        let o = removal::receive(s, &actor(), tco_order(received), now(), "t")
            .await
            .unwrap();
        assert_eq!(o.due_at, received.plus(TimeDelta::hours(1)));
        assert!(o.deadline_article.contains("Art. 3(3)"));
        let later = |m: i64| received.plus(TimeDelta::minutes(m));
        assert!(
            !removal::get(s, o.id, None, later(59))
                .await
                .unwrap()
                .overdue
        );
        assert!(
            removal::get(s, o.id, None, later(61))
                .await
                .unwrap()
                .overdue
        );
        // Art. 3(7): an obstacle stops the clock; clarification restarts the hour.
        let o2 = removal::receive(s, &actor(), tco_order(received), now(), "t")
            .await
            .unwrap();
        let v = removal::act(
            s,
            &actor(),
            o2.id,
            RemovalAction::Impossible {
                reason: "URL does not exist".into(),
            },
            None,
            later(30),
            "t",
        )
        .await
        .unwrap();
        assert!(!v.overdue);
        let v = removal::act(
            s,
            &actor(),
            o2.id,
            RemovalAction::Clarified {
                at: Some(later(120)),
            },
            None,
            later(130),
            "t",
        )
        .await
        .unwrap();
        assert_eq!(v.due_at, later(180));
        // Executed within the hour; preserved for six months, then purged.
        let v = removal::act(
            s,
            &actor(),
            o.id,
            RemovalAction::Execute {
                at: Some(later(40)),
            },
            None,
            later(45),
            "t",
        )
        .await
        .unwrap();
        assert_eq!(v.in_time, Some(true));
        let retain = v.retain_until.unwrap();
        assert_eq!(
            retain.as_datetime(),
            later(40)
                .as_datetime()
                .checked_add_months(Months::new(6))
                .unwrap()
        );
        let p = retention::purge(s, &Actor::system(), retain.plus(TimeDelta::seconds(-1)))
            .await
            .unwrap();
        assert_eq!(p.removal_orders, 0);
        let p = retention::purge(s, &Actor::system(), retain).await.unwrap();
        assert_eq!(p.removal_orders, 1, "{}", db.label);
        let v = removal::get(s, o.id, None, retain).await.unwrap();
        assert!(v.order.items.is_empty() && v.purged_at.is_some());
        // The purge is in the audit chain.
        let recent = bulwark_store::audit::recent(s, 5).await.unwrap();
        assert!(recent.iter().any(|r| r.action == "detection.purge"));
        // Transparency (TCO Art. 7(3)(c)): 2 orders, 1 executed in time.
        let f = transparency::figures(s, Some(demo::DEMO_PROVIDER), 2026)
            .await
            .unwrap();
        assert_eq!(
            (f.removal_orders, f.removal_executed, f.removal_in_time),
            (2, 1, 1)
        );
    }
}

#[tokio::test]
async fn csa_art_22_reports_are_purged_after_twelve_months() {
    for db in dbs().await {
        let s = &db.store;
        let (m, d) = seeded(s).await;
        let r = scan_one(s, &m, d.basis.id, &png(8), now()).await.unwrap();
        let id = r.matches[0].match_id;
        confirm(s, &m, id).await;
        let input = reports::NewReport {
            provider_contact: "c".into(),
            urgent: true,
            service_type: "interpersonal".into(),
            removed: false,
            ..report_of(id)
        };
        let rep = reports::create(s, &actor(), input, None, now(), "t")
            .await
            .unwrap();
        assert_eq!(rep.retain_until, months(now(), 12));
        assert_eq!(
            retention::purge(s, &Actor::system(), months(now(), 11))
                .await
                .unwrap()
                .reports,
            0
        );
        assert_eq!(
            retention::purge(s, &Actor::system(), months(now(), 12))
                .await
                .unwrap()
                .reports,
            1
        );
        assert!(
            reports::list(s, reports::ReportScope::All)
                .await
                .unwrap()
                .is_empty()
        );
    }
}

#[tokio::test]
async fn tco_art_10_complaint_decided_within_two_weeks() {
    for db in dbs().await {
        let s = &db.store;
        let c = complaints::file(
            s,
            &actor(),
            demo::DEMO_PROVIDER,
            NewComplaint {
                regime: RemovalRegime::Tco,
                subject: ComplaintSubject::Removal,
                object_ref: "removal:x".into(),
                complainant: "user-7f3a".into(),
                received_at: Some(now()),
            },
            now(),
            "t",
        )
        .await
        .unwrap();
        assert_eq!(c.due_at, Some(now().plus(TimeDelta::days(14))));
        let late = complaints::get(s, c.id, None, now().plus(TimeDelta::days(15)))
            .await
            .unwrap();
        assert!(late.overdue);
        let d = complaints::decide(
            s,
            &actor(),
            c.id,
            ComplaintDecision {
                outcome: ComplaintOutcome::Reversed,
                reasons: "not terrorist content".into(),
            },
            None,
            now().plus(TimeDelta::days(3)),
            "t",
        )
        .await
        .unwrap();
        assert!(!d.overdue);
        let f = transparency::figures(s, None, 2026).await.unwrap();
        assert_eq!((f.complaints, f.complaints_reversed), (1, 1));
        // A complainant is a pseudonym, never an address.
        let e = complaints::file(
            s,
            &actor(),
            "p",
            NewComplaint {
                regime: RemovalRegime::Csa,
                subject: ComplaintSubject::Detection,
                object_ref: "m".into(),
                complainant: "someone@example.org".into(),
                received_at: None,
            },
            now(),
            "t",
        )
        .await
        .unwrap_err();
        assert!(e.to_string().contains("complainant"));
    }
}

/// TCO Art. 10(2): content removed under a specific measure is reinstated
/// without undue delay when the provider, on the content provider's
/// complaint, finds the removal unjustified; Art. 7(3)(g) counts those
/// reinstatements. Only removed content, only on a complaint about this
/// match decided `reversed`, once, not before the removal; the preservation
/// (Art. 6(1)) is left as it was.
#[tokio::test]
async fn tco_art_10_2_removed_content_is_reinstated_after_a_reversed_complaint() {
    use bulwark_detection::reinstatement::{self, ReinstatementRequest};
    for db in dbs().await {
        let s = &db.store;
        let (m, id) = terrorist_match(s).await;
        confirm(s, &m, id).await;
        let day = |n: i64| now().plus(TimeDelta::days(n));
        let request = |ground, reference: &str, at: Option<Timestamp>| ReinstatementRequest {
            ground,
            reference: reference.into(),
            at,
        };
        let reinstate = |r: ReinstatementRequest, at: Timestamp| async move {
            reinstatement::reinstate_match(s, &actor(), id, &r, None, at, "t").await
        };
        let complaint_about = |object_ref: String| async move {
            complaints::file(
                s,
                &actor(),
                demo::DEMO_PROVIDER,
                NewComplaint {
                    regime: RemovalRegime::Tco,
                    subject: ComplaintSubject::Removal,
                    object_ref,
                    complainant: "user-51c2".into(),
                    received_at: None,
                },
                day(2),
                "t",
            )
            .await
            .unwrap()
        };
        // Nothing removed yet: nothing to reinstate.
        let c = complaint_about(id.to_string()).await;
        let e = reinstate(
            request(ReinstatementGround::Complaint, &c.id.to_string(), None),
            day(2),
        )
        .await
        .unwrap_err();
        assert!(
            matches!(e, DetectionError::Conflict(_)),
            "{}: {e}",
            db.label
        );
        let removed = review::record_removal(
            s,
            &actor(),
            id,
            &review::RemovalRecord {
                action: ContentAction::Removed,
                at: Some(day(1)),
            },
            None,
            day(1),
            "t",
        )
        .await
        .unwrap()
        .matched
        .removal
        .unwrap();
        // The complaint is not decided yet.
        let e = reinstate(
            request(ReinstatementGround::Complaint, &c.id.to_string(), None),
            day(3),
        )
        .await
        .unwrap_err();
        assert!(
            matches!(e, DetectionError::Conflict(_)),
            "{}: {e}",
            db.label
        );
        assert!(e.to_string().contains("Art. 10(2)"), "{e}");
        complaints::decide(
            s,
            &actor(),
            c.id,
            ComplaintDecision {
                outcome: ComplaintOutcome::Reversed,
                reasons: "satire reporting on the attack, not incitement".into(),
            },
            None,
            day(3),
            "t",
        )
        .await
        .unwrap();
        // A complaint about something else, a reference that is no
        // complaint, scrutiny (removal orders only), a time before the
        // removal or in the future: each refused, naming its field.
        let other = complaint_about("removal:elsewhere".into()).await;
        for (r, field) in [
            (
                request(ReinstatementGround::Complaint, &other.id.to_string(), None),
                "reference",
            ),
            (
                request(ReinstatementGround::Complaint, "case 12", None),
                "reference",
            ),
            (
                request(ReinstatementGround::Scrutiny, "BVwG-1", None),
                "ground",
            ),
            (
                request(
                    ReinstatementGround::Complaint,
                    &c.id.to_string(),
                    Some(now()),
                ),
                "at",
            ),
            (
                request(
                    ReinstatementGround::Complaint,
                    &c.id.to_string(),
                    Some(day(5)),
                ),
                "at",
            ),
        ] {
            let e = reinstate(r, day(4)).await.unwrap_err();
            assert!(
                matches!(&e, DetectionError::Invalid { field: f, .. } if f == field),
                "{}: {field}: {e}",
                db.label
            );
        }
        let done = reinstate(
            request(ReinstatementGround::Complaint, &c.id.to_string(), None),
            day(4),
        )
        .await
        .unwrap();
        let removal = done.matched.removal.unwrap();
        let back = removal.reinstated.clone().unwrap();
        assert_eq!(
            (back.ground, back.reference, back.at),
            (ReinstatementGround::Complaint, c.id.to_string(), day(4)),
            "{}",
            db.label
        );
        assert_eq!(removal.preserve_until, removed.preserve_until);
        let audit = bulwark_store::audit::recent(s, 1).await.unwrap().remove(0);
        assert_eq!(
            (audit.action.as_str(), audit.object.as_str()),
            ("detection.reinstatement", format!("match:{id}").as_str())
        );
        assert_eq!(audit.details["ground"], "complaint");
        // Once.
        let e = reinstate(
            request(ReinstatementGround::Complaint, &c.id.to_string(), None),
            day(4),
        )
        .await
        .unwrap_err();
        assert!(
            matches!(e, DetectionError::Conflict(_)),
            "{}: {e}",
            db.label
        );
        // Art. 7(3)(g), by the year of the reinstatement.
        let f = transparency::figures(s, Some(demo::DEMO_PROVIDER), 2026)
            .await
            .unwrap();
        assert_eq!(
            (f.reinstated_after_complaint, f.reinstated_after_review),
            (1, 0),
            "{}",
            db.label
        );
    }
}

/// A removal order's content is reinstated when the competent authority's
/// scrutiny of a cross-border order finds an infringement (TCO Art. 4(4),
/// 4(7)) or review proceedings annul it (Art. 9), never on a complaint to
/// the provider (Art. 10 covers specific measures); Art. 7(3)(f) counts
/// them. Only executed orders, only the addressee.
#[tokio::test]
async fn tco_art_4_7_and_9_removal_order_content_reinstated_after_scrutiny_or_review() {
    use bulwark_detection::reinstatement::{self, ReinstatementRequest};
    for db in dbs().await {
        let s = &db.store;
        let received = now();
        let later = |m: i64| received.plus(TimeDelta::minutes(m));
        let executed = |cross_border: bool| async move {
            let o = removal::receive(
                s,
                &actor(),
                NewRemovalOrder {
                    cross_border,
                    ..tco_order(received)
                },
                now(),
                "t",
            )
            .await
            .unwrap();
            removal::act(
                s,
                &actor(),
                o.id,
                RemovalAction::Execute {
                    at: Some(later(20)),
                },
                None,
                later(20),
                "t",
            )
            .await
            .unwrap()
        };
        let request = |ground, at| ReinstatementRequest {
            ground,
            reference: "decision 2026/117".into(),
            at,
        };
        let reinstate = |id, r: ReinstatementRequest, who: Option<&'static str>| async move {
            reinstatement::reinstate_order(s, &actor(), id, &r, who, later(600), "t").await
        };
        let domestic = executed(false).await;
        for (ground, rule) in [
            (ReinstatementGround::Scrutiny, "Art. 4(4)"),
            (ReinstatementGround::Complaint, "Art. 9"),
        ] {
            let e = reinstate(domestic.id, request(ground, None), None)
                .await
                .unwrap_err();
            assert!(
                matches!(&e, DetectionError::Invalid { field, .. } if field == "ground"),
                "{}: {e}",
                db.label
            );
            assert!(e.to_string().contains(rule), "{e}");
        }
        // Not before the execution; only the addressed provider.
        let e = reinstate(
            domestic.id,
            request(ReinstatementGround::Review, Some(later(10))),
            None,
        )
        .await
        .unwrap_err();
        assert!(e.to_string().contains("`at`"), "{}: {e}", db.label);
        let e = reinstate(
            domestic.id,
            request(ReinstatementGround::Review, None),
            Some("Another Platform"),
        )
        .await
        .unwrap_err();
        assert!(matches!(e, DetectionError::NotFound { .. }), "{e}");
        let v = reinstate(
            domestic.id,
            request(ReinstatementGround::Review, None),
            None,
        )
        .await
        .unwrap();
        assert_eq!(
            v.reinstated.map(|r| (r.ground, r.at)),
            Some((ReinstatementGround::Review, later(600))),
            "{}",
            db.label
        );
        let cross = executed(true).await;
        let v = reinstate(cross.id, request(ReinstatementGround::Scrutiny, None), None)
            .await
            .unwrap();
        assert_eq!(
            v.reinstated.map(|r| r.ground),
            Some(ReinstatementGround::Scrutiny)
        );
        let audit = bulwark_store::audit::recent(s, 1).await.unwrap().remove(0);
        assert_eq!(audit.object, format!("removal:{}", cross.id));
        // An order not executed has nothing to reinstate.
        let pending = removal::receive(s, &actor(), tco_order(received), now(), "t")
            .await
            .unwrap();
        let e = reinstate(pending.id, request(ReinstatementGround::Review, None), None)
            .await
            .unwrap_err();
        assert!(
            matches!(e, DetectionError::Conflict(_)),
            "{}: {e}",
            db.label
        );
        // The list shows them; Art. 7(3)(f) counts both.
        let listed = removal::list(s, Some(demo::DEMO_PROVIDER), later(600))
            .await
            .unwrap();
        assert_eq!(listed.iter().filter(|o| o.reinstated.is_some()).count(), 2);
        let f = transparency::figures(s, Some(demo::DEMO_PROVIDER), 2026)
            .await
            .unwrap();
        assert_eq!(
            (f.reinstated_after_complaint, f.reinstated_after_review),
            (0, 2),
            "{}",
            db.label
        );
    }
}

#[tokio::test]
async fn content_is_never_persisted() {
    // CSA proposal Art. 10(3)(b); 2021/1232 Art. 3(1)(a): only hashes and
    // metadata are kept. Scan a PNG carrying a unique marker in a text
    // chunk, then search every database file for it.
    let db = bulwark_store::testing::sqlite().await;
    bulwark_detection::migrate(&db.store).await.unwrap();
    let (m, d) = seeded(&db.store).await;
    let marker = format!("BULWARK-CONTENT-MARKER-{}", uuid_hex());
    let mut bytes = png(9);
    // Insert a tEXt chunk after the IHDR chunk (8-byte signature + 25-byte IHDR).
    let data = format!("Comment\0{marker}");
    let mut chunk = (data.len() as u32).to_be_bytes().to_vec();
    let mut body = b"tEXt".to_vec();
    body.extend_from_slice(data.as_bytes());
    chunk.extend_from_slice(&body);
    chunk.extend_from_slice(&crc32(&body).to_be_bytes());
    bytes.splice(33..33, chunk);
    assert!(find(&bytes, marker.as_bytes()));
    let r = scan_one(&db.store, &m, d.basis.id, &bytes, now())
        .await
        .unwrap();
    assert_eq!(r.outcome, Outcome::Matched);
    let dir = std::path::Path::new(&db.location)
        .parent()
        .unwrap()
        .to_path_buf();
    db.store.close().await;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let p = entry.unwrap().path();
        // SQLite may remove its -wal/-shm files as the pool closes.
        let Ok(content) = std::fs::read(&p) else {
            continue;
        };
        assert!(
            !find(&content, marker.as_bytes()),
            "marker found in {}",
            p.display()
        );
    }
}

fn uuid_hex() -> String {
    format!("{:032x}", rand_u128())
}

fn rand_u128() -> u128 {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    t ^ (std::process::id() as u128) << 64
}

fn find(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn crc32(data: &[u8]) -> u32 {
    let mut c = 0xFFFF_FFFFu32;
    for &b in data {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 != 0 {
                (c >> 1) ^ 0xEDB8_8320
            } else {
                c >> 1
            };
        }
    }
    !c
}

/// The scans counted in a year's figures (CSA proposal Art. 83(1), TCO Art.
/// 7(3), 2021/1232 Art. 3(1)(g)(vii)), straight from the scan rows.
async fn counted_directly(s: &Store, provider: Option<&str>, year: i32) -> (i64, i64) {
    let bound = |y: i32| {
        chrono::NaiveDate::from_ymd_opt(y, 1, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
            .and_utc()
            .timestamp_micros()
    };
    let r = sqlx::query(
        "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(CASE WHEN outcome = 'low_quality' THEN 1 ELSE 0 END), 0) AS BIGINT) AS low \
         FROM det_scans WHERE ($1 = '' OR provider = $1) AND scanned_at >= $2 AND scanned_at < $3",
    )
    .bind(provider.unwrap_or(""))
    .bind(bound(year))
    .bind(bound(year + 1))
    .fetch_one(s.pool())
    .await
    .unwrap();
    (r.try_get("n").unwrap(), r.try_get("low").unwrap())
}

/// The annual figures count scans from per-day counters kept in the
/// recording transaction: the same numbers as the scan rows, with the year
/// boundary at UTC midnight, per provider and in all.
#[tokio::test]
async fn annual_scan_figures_equal_the_scans_recorded_in_the_year() {
    let h = "3c3c96960f0f5a5ac3c36969f0f0a5a53c3c96960f0f5a5ac3c36969f0f0a5a5";
    for db in dbs().await {
        let s = &db.store;
        let (m, d) = seeded(s).await;
        let last = "2026-12-31T23:59:59.999999Z".parse::<Timestamp>().unwrap();
        let first = "2027-01-01T00:00:00Z".parse::<Timestamp>().unwrap();
        for (at, quality) in [
            (now(), 100),
            (now(), 10),
            (last, 100),
            (last, 20),
            (first, 100),
        ] {
            let item = ScanItem {
                content_ref: None,
                input: ScanInput::Hash { pdq: h, quality },
            };
            scan_item(s, &m, d.basis.id, item, at).await.unwrap();
        }
        // A group commit of several requests counts each scan once.
        let items: Vec<ScanItem<'_>> = (0..3)
            .map(|_| ScanItem {
                content_ref: None,
                input: ScanInput::Hash {
                    pdq: h,
                    quality: 100,
                },
            })
            .collect();
        scan::scan(
            s,
            &m,
            &actor(),
            demo::DEMO_PROVIDER,
            d.basis.id,
            None,
            &items,
            now(),
            "t",
        )
        .await
        .unwrap();
        for (provider, year, want) in [
            (None, 2026, (7, 2)),
            (Some(demo::DEMO_PROVIDER), 2026, (7, 2)),
            (None, 2027, (1, 0)),
            (Some("another provider"), 2026, (0, 0)),
        ] {
            let f = transparency::figures(s, provider, year).await.unwrap();
            assert_eq!(
                (f.scans, f.low_quality),
                want,
                "{} {provider:?} {year}",
                db.label
            );
            assert_eq!(
                counted_directly(s, provider, year).await,
                want,
                "{}",
                db.label
            );
        }
    }
}

/// A database upgraded to the counters (migration 2009) counts the scans it
/// recorded before, and loses the rows earlier purges had stripped
/// (migration 2010).
#[tokio::test]
async fn the_scan_counters_are_filled_from_the_scans_recorded_before_them() {
    let mut v = vec![bulwark_store::testing::sqlite().await];
    v.extend(bulwark_store::testing::postgres().await);
    for db in v {
        let s = &db.store;
        s.apply_migrations(common::migrations_before(2009))
            .await
            .unwrap();
        let d = demo::seed(s, &actor(), now()).await.unwrap();
        let last = "2026-12-31T23:59:59Z".parse::<Timestamp>().unwrap();
        for (i, (at, outcome)) in [
            (now(), "no_match"),
            (now(), "low_quality"),
            (last, "matched"),
            (last.plus(TimeDelta::seconds(1)), "no_match"),
        ]
        .into_iter()
        .enumerate()
        {
            sqlx::query(
                "INSERT INTO det_scans (id, basis_id, provider, input_kind, outcome, scanned_at) \
                 VALUES ($1, $2, $3, 'hash', $4, $5)",
            )
            .bind(format!("old-scan-{i}"))
            .bind(d.basis.id.to_string())
            .bind(demo::DEMO_PROVIDER)
            .bind(outcome)
            .bind(at.unix_micros())
            .execute(s.pool())
            .await
            .unwrap();
        }
        // One scan still within its retention period (its hash kept).
        sqlx::query(
            "INSERT INTO det_scans (id, basis_id, provider, input_kind, pdq, outcome, scanned_at) \
             VALUES ('recent-scan', $1, $2, 'hash', $3, 'no_match', $4)",
        )
        .bind(d.basis.id.to_string())
        .bind(demo::DEMO_PROVIDER)
        .bind("5a".repeat(32))
        .bind(now().unix_micros())
        .execute(s.pool())
        .await
        .unwrap();
        bulwark_detection::migrate(s).await.unwrap();
        let f = transparency::figures(s, None, 2026).await.unwrap();
        assert_eq!((f.scans, f.low_quality), (4, 1), "{}", db.label);
        let f = transparency::figures(s, None, 2027).await.unwrap();
        assert_eq!((f.scans, f.low_quality), (1, 0), "{}", db.label);
        // The rows stripped by earlier purges (no hash, no content reference,
        // no match) are deleted by migration 2010; the recent scan stays.
        let left: Vec<String> = sqlx::query("SELECT id FROM det_scans ORDER BY id")
            .fetch_all(s.pool())
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get("id").unwrap())
            .collect();
        assert_eq!(left, ["recent-scan"], "{}", db.label);
    }
}

#[tokio::test]
async fn r2021_1232_art_3_1_h_scan_data_erased_after_twelve_months_counts_kept() {
    for db in dbs().await {
        let s = &db.store;
        let (m, d) = seeded(s).await;
        let r = scan_one(s, &m, d.basis.id, &png(10), now()).await.unwrap();
        let no_match = scan_hash(s, &m, d.basis.id, &"5a".repeat(32)).await;
        assert_eq!(no_match.outcome, Outcome::NoMatch);
        for h in ["6b", "7c"] {
            let r = scan_hash(s, &m, d.basis.id, &h.repeat(32)).await;
            assert_eq!(r.outcome, Outcome::NoMatch, "{h}");
        }
        let rows = |id: String| async move {
            sqlx::query("SELECT COUNT(*) AS n FROM det_scans WHERE id = $1")
                .bind(id)
                .fetch_one(s.pool())
                .await
                .unwrap()
                .try_get::<i64, _>("n")
                .unwrap()
        };
        let before = review::get(s, r.matches[0].match_id, None).await.unwrap();
        assert!(before.matched.scanned_hash.is_some());
        let p = retention::purge(s, &Actor::system(), months(now(), 11))
            .await
            .unwrap();
        assert_eq!((p.scans, p.scans_deleted), (0, 0));
        // In transactions of one scan each here (5,000 by default): each
        // audited with its counts, so scan commits never wait for them all.
        let seq = bulwark_store::audit::head(s).await.unwrap().seq;
        let p = retention::purge_in_chunks(s, &Actor::system(), months(now(), 12), 1)
            .await
            .unwrap();
        assert_eq!((p.scans, p.scans_deleted), (4, 3), "{}", db.label);
        let records = bulwark_store::audit::recent(s, 10).await.unwrap();
        let chunks = records
            .iter()
            .filter(|r| r.seq > seq && r.object == "detection:scans")
            .count();
        assert_eq!(chunks, 3, "{}", db.label);
        // The matched scan stays with its match, stripped ...
        let after = review::get(s, r.matches[0].match_id, None).await.unwrap();
        assert_eq!(after.matched.scanned_hash, None);
        assert_eq!(after.matched.content_ref, None);
        // ... the scan without a match is gone altogether.
        assert_eq!(rows(no_match.scan_id.to_string()).await, 0, "{}", db.label);
        assert_eq!(rows(r.scan_id.to_string()).await, 1);
        // The annual figures still count every scan and the match.
        let f = transparency::figures(s, None, 2026).await.unwrap();
        assert_eq!((f.scans, f.matches), (4, 1));
    }
}

#[tokio::test]
async fn a_flooding_indicator_is_quarantined_and_stops_matching() {
    use bulwark_detection::flood::{FloodPolicy, quarantine_floods};
    for db in dbs().await {
        let s = &db.store;
        let (m, d) = seeded(s).await;
        for _ in 0..4 {
            let r = scan_one(s, &m, d.basis.id, &png(11), now()).await.unwrap();
            assert_eq!(r.outcome, Outcome::Matched);
        }
        scan_one(s, &m, d.basis.id, &png(0), now()).await.unwrap();
        let policy = FloodPolicy {
            window_minutes: 60,
            max_matches: 3,
        };
        let flooded = quarantine_floods(s, &m, &Actor::system(), policy, now())
            .await
            .unwrap();
        assert_eq!(flooded.len(), 1, "{}", db.label);
        assert_eq!(flooded[0].matches, 4);
        let ind = bulwark_detection::lists::indicator(s, flooded[0].seq)
            .await
            .unwrap();
        assert_eq!(ind.status, IndicatorStatus::Quarantined);
        assert!(ind.history[0].reason.contains("flood: 4 matches"));
        let r = scan_one(s, &m, d.basis.id, &png(11), now()).await.unwrap();
        assert_eq!(r.outcome, Outcome::NoMatch);
        // Outside the window nothing more happens.
        let later = now().plus(TimeDelta::hours(2));
        assert!(
            quarantine_floods(s, &m, &Actor::system(), policy, later)
                .await
                .unwrap()
                .is_empty()
        );
    }
}
