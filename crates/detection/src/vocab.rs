//! The pillar's closed vocabularies, each with its canonical text form.

bulwark_core::text_enum! {
    /// What an indicator stands for.
    pub enum Category: "category" {
        /// Known child sexual abuse material (CSA proposal Art. 44(1)(a)).
        Csam = "csam",
        /// Terrorist content (TCO Regulation Art. 2(7)).
        Terrorist = "terrorist",
        /// A benign stand-in used by the demo and tests.
        Test = "test",
    }
}

bulwark_core::text_enum! {
    /// Where an indicator stands.
    pub enum IndicatorStatus: "indicator status" {
        /// Matches.
        Active = "active",
        /// Switched off by the provider or the issuer: never matches.
        Disabled = "disabled",
        /// Held back pending checks (e.g. it suddenly matches too much): never matches.
        Quarantined = "quarantined",
        /// Removed by the issuer in a later list version: never matches.
        Removed = "removed",
    }
}

bulwark_core::text_enum! {
    /// Whose indicators a trusted issuer key signs.
    pub enum IssuerRole: "issuer role" {
        /// The EU Centre (CSA proposal Art. 44): the only source of indicators a
        /// detection order may use (Art. 10(1)).
        EuCentre = "eu_centre",
        /// Another source (a hotline or organisation named in a voluntary basis).
        Other = "other",
    }
}

bulwark_core::text_enum! {
    /// The kind of legal basis for scanning.
    pub enum BasisKind: "basis kind" {
        /// A detection order (CSA proposal Arts 7-10).
        Order = "order",
        /// Voluntary detection under the interim Regulation (EU) 2021/1232 regime.
        Voluntary = "voluntary",
        /// A specific measure of a hosting provider exposed to terrorist content
        /// (TCO Regulation (EU) 2021/784 Art. 5(2)).
        SpecificMeasure = "specific_measure",
    }
}

bulwark_core::text_enum! {
    /// The content type an order or basis covers (CSA proposal Art. 7(5)-(7)).
    pub enum ContentType: "content type" {
        /// Known material (matched against indicators: what PDQ does).
        Known = "known",
        /// New material (needs other technologies: outside this component).
        New = "new",
        /// Solicitation of children (outside this component).
        Solicitation = "solicitation",
    }
}

bulwark_core::text_enum! {
    /// Where a basis stands. Only `active` allows scanning, and only within its period.
    pub enum BasisStatus: "basis status" {
        /// Received from the issuing authority, not yet in force.
        Received = "received",
        /// In force (within its period).
        Active = "active",
        /// Suspended by the authority or the provider.
        Suspended = "suspended",
        /// Revoked.
        Revoked = "revoked",
    }
}

bulwark_core::text_enum! {
    /// The voluntary-detection instruments (spec detection.md 8.2.1).
    pub enum Instrument: "instrument" {
        /// Regulation (EU) 2021/1232.
        R2021_1232 = "2021/1232",
        /// Regulation (EU) 2024/1307 (extension of 2021/1232).
        R2024_1307 = "2024/1307",
        /// Regulation (EU) 2026/1881.
        R2026_1881 = "2026/1881",
    }
}

bulwark_core::text_enum! {
    /// The review state of a match.
    pub enum MatchState: "match state" {
        /// Waiting for a human reviewer.
        PendingReview = "pending_review",
        /// A reviewer confirmed it: a report may be made.
        Confirmed = "confirmed",
        /// A reviewer rejected it: a false positive.
        Rejected = "rejected",
    }
}

bulwark_core::text_enum! {
    /// A reviewer's decision.
    pub enum Decision: "decision" {
        /// The match is the known material.
        Confirm = "confirm",
        /// The match is a false positive.
        Reject = "reject",
    }
}

bulwark_core::text_enum! {
    /// What a provider did with content after a confirmed match.
    pub enum ContentAction: "action" {
        /// The content was removed.
        Removed = "removed",
        /// Access to the content was disabled.
        Disabled = "disabled",
    }
}

bulwark_core::text_enum! {
    /// The regime of a removal order.
    pub enum RemovalRegime: "regime" {
        /// TCO Regulation (EU) 2021/784 Art. 3: one hour.
        Tco = "tco",
        /// CSA proposal Art. 14: 24 hours.
        Csa = "csa",
    }
}

bulwark_core::text_enum! {
    /// Where a removal order stands.
    pub enum RemovalState: "removal state" {
        /// Received: the clock runs.
        Received = "received",
        /// Content removed or access disabled in all Member States.
        Executed = "executed",
        /// The provider cannot comply (TCO Art. 3(7)-(8)): the clock stops until clarified.
        Impossible = "impossible",
    }
}

bulwark_core::text_enum! {
    /// What a complaint is about.
    pub enum ComplaintSubject: "subject" {
        /// The detection itself.
        Detection = "detection",
        /// Removal of, or disabling access to, content.
        Removal = "removal",
        /// An account block or suspension.
        Account = "account",
    }
}

bulwark_core::text_enum! {
    /// The outcome of a complaint.
    pub enum ComplaintOutcome: "outcome" {
        /// The decision stands.
        Upheld = "upheld",
        /// The decision was reversed (content reinstated, match withdrawn).
        Reversed = "reversed",
    }
}

bulwark_core::text_enum! {
    /// Why removed content was put back online.
    pub enum ReinstatementGround: "ground" {
        /// The provider reversed its decision on the content provider's
        /// complaint (TCO Art. 10(2); CSA proposal Art. 10(4)(d);
        /// Regulation (EU) 2021/1232 Art. 3(1)(g)(iv)). Counted under TCO
        /// Art. 7(3)(g).
        Complaint = "complaint",
        /// The competent authority of the provider's Member State found, on
        /// scrutiny of a cross-border removal order, that it infringes the
        /// Regulation or fundamental rights: the order ceases to have legal
        /// effect (TCO Art. 4(4), 4(7)). Counted under TCO Art. 7(3)(f).
        Scrutiny = "scrutiny",
        /// Administrative or judicial review proceedings annulled the order
        /// or the decision (TCO Art. 9; CSA proposal Art. 15). Counted under
        /// TCO Art. 7(3)(f).
        Review = "review",
    }
}
