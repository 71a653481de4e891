//! CER Art. 6(3) notification and Art. 12(1) risk-assessment due dates.

mod common;

use bulwark_core::{Country, Timestamp};
use bulwark_resilience::obligations::{self, ObligationEvent};
use bulwark_resilience::{ResilienceError, demo};
use bulwark_store::Actor;

fn t(s: &str) -> Timestamp {
    Timestamp::from_datetime(chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc())
}

#[test]
fn cer_art_12_1_first_assessment_nine_months_after_notification_then_every_four_years() {
    let n = t("2026-08-17T00:00:00Z");
    let o = obligations::compute("E", Some(n), &[], t("2027-05-16T00:00:00Z"));
    assert_eq!(o.risk_assessment_due, Some(t("2027-05-17T00:00:00Z")));
    assert!(!o.overdue);
    assert!(o.basis.unwrap().contains("Art. 12(1)"));
    // Art. 6(3): Chapter III applies ten months after the notification.
    assert_eq!(o.chapter_iii_from, Some(t("2027-06-17T00:00:00Z")));
    let late = obligations::compute("E", Some(n), &[], t("2027-05-18T00:00:00Z"));
    assert!(late.overdue);
    let a = t("2027-04-01T00:00:00Z");
    let o = obligations::compute("E", Some(n), &[a], t("2030-01-01T00:00:00Z"));
    assert_eq!(o.risk_assessment_due, Some(t("2031-04-01T00:00:00Z")));
    assert!(!o.overdue);
    // Not notified: nothing is due.
    let o = obligations::compute("E", None, &[], t("2030-01-01T00:00:00Z"));
    assert_eq!((o.risk_assessment_due, o.overdue), (None, false));
}

#[tokio::test]
async fn notification_and_assessments_are_recorded_and_audited() {
    for db in common::all().await {
        let s = &db.store;
        demo::seed(s).await.unwrap();
        let de = Country::Germany;
        let now = t("2027-06-01T00:00:00Z");
        let a = Actor::system();
        // An assessment before any notification is refused, naming the rule.
        let e = obligations::record(
            s,
            &a,
            de,
            "DE-TSO-1",
            ObligationEvent::RiskAssessment,
            t("2027-01-01T00:00:00Z"),
            "RA-1",
            now,
        )
        .await
        .unwrap_err();
        assert!(
            matches!(e, ResilienceError::Invalid { .. }) && e.to_string().contains("Art. 12(1)"),
            "{e}"
        );
        let o = obligations::record(
            s,
            &a,
            de,
            "DE-TSO-1",
            ObligationEvent::Notified,
            t("2026-08-17T00:00:00Z"),
            "BBK-2026-1",
            now,
        )
        .await
        .unwrap();
        assert!(
            o.overdue,
            "{}: 9 months passed without an assessment",
            db.label
        );
        let o = obligations::record(
            s,
            &a,
            de,
            "DE-TSO-1",
            ObligationEvent::RiskAssessment,
            t("2027-05-01T00:00:00Z"),
            "RA-1",
            now,
        )
        .await
        .unwrap();
        assert!(!o.overdue);
        assert_eq!(o.risk_assessment_due, Some(t("2031-05-01T00:00:00Z")));
        // Another Member State's scope does not see the entity.
        assert!(
            obligations::get(s, Country::France, "DE-TSO-1", now)
                .await
                .is_err()
        );
        // Future dates are refused.
        assert!(
            obligations::record(
                s,
                &a,
                de,
                "DE-TSO-1",
                ObligationEvent::RiskAssessment,
                t("2028-01-01T00:00:00Z"),
                "RA-2",
                now
            )
            .await
            .is_err()
        );
        let recent = bulwark_store::audit::recent(s, 3).await.unwrap();
        assert!(
            recent
                .iter()
                .any(|r| r.action == "resilience.obligation.risk_assessment")
        );
    }
}
