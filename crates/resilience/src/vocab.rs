//! Small text vocabularies of the pillar (dependency kinds, resources,
//! incident regimes and stages, NIS2 entity types, record kinds, formats),
//! declared with the platform's one mechanism, `bulwark_core::text_enum!`.

bulwark_core::text_enum! {
    /// The kind of a dependency, after Rinaldi, Peerenboom and Kelly (2001):
    /// what couples the dependent to its supplier.
    pub enum DependencyKind: "dependency kind" {
        /// Material output of one is an input of the other (power, gas, water).
        Physical = "physical",
        /// Information passed over networks (control, data, communications).
        Cyber = "cyber",
        /// Co-location: one local event affects both.
        Geographic = "geographic",
        /// Any other coupling (policy, markets, staff, payments).
        Logical = "logical",
    }
}

bulwark_core::text_enum! {
    /// The resource a dependency carries.
    pub enum Resource: "resource" {
        /// Electric power.
        Electricity = "electricity",
        /// Natural gas.
        Gas = "gas",
        /// Liquid fuel.
        Fuel = "fuel",
        /// Water.
        Water = "water",
        /// Telecommunications.
        Telecom = "telecom",
        /// Data processing, hosting and other ICT services.
        Ict = "ict",
        /// Transport of goods or people.
        Transport = "transport",
        /// Payments and banking.
        Payment = "payment",
        /// Staff availability.
        Staff = "staff",
        /// Anything else.
        Other = "other",
    }
}

bulwark_core::text_enum! {
    /// A legal regime under which an incident is notified.
    pub enum Regime: "regime" {
        /// CER Directive (EU) 2022/2557, Art. 15.
        Cer = "cer",
        /// NIS2 Directive (EU) 2022/2555, Art. 23.
        Nis2 = "nis2",
    }
}

bulwark_core::text_enum! {
    /// A reporting stage of an incident.
    pub enum Stage: "stage" {
        /// CER Art. 15(1): initial notification (24 h).
        InitialNotification = "initial_notification",
        /// CER Art. 15(1): detailed report (one month after the initial notification).
        DetailedReport = "detailed_report",
        /// NIS2 Art. 23(4)(a): early warning (24 h).
        EarlyWarning = "early_warning",
        /// NIS2 Art. 23(4)(b): incident notification (72 h; 24 h for trust services).
        IncidentNotification = "incident_notification",
        /// NIS2 Art. 23(4)(d): final report (one month after the incident notification).
        FinalReport = "final_report",
    }
}

impl Stage {
    /// The regime this stage belongs to.
    pub fn regime(self) -> Regime {
        match self {
            Stage::InitialNotification | Stage::DetailedReport => Regime::Cer,
            _ => Regime::Nis2,
        }
    }
}

bulwark_core::text_enum! {
    /// The entity types Commission Implementing Regulation (EU) 2024/2690
    /// sets significance thresholds for (its Art. 5-14), plus `other` (the
    /// default) for NIS2 entities it does not cover.
    #[derive(Default)]
    pub enum Nis2EntityType: "NIS2 entity type" {
        /// DNS service provider (Art. 5).
        Dns = "dns",
        /// TLD name registry (Art. 6).
        Tld = "tld",
        /// Cloud computing service provider (Art. 7).
        Cloud = "cloud",
        /// Data centre service provider (Art. 8).
        DataCentre = "data_centre",
        /// Content delivery network provider (Art. 9).
        Cdn = "cdn",
        /// Managed service provider (Art. 10).
        Msp = "msp",
        /// Managed security service provider (Art. 10).
        Mssp = "mssp",
        /// Online marketplace (Art. 11).
        Marketplace = "marketplace",
        /// Online search engine (Art. 12).
        SearchEngine = "search_engine",
        /// Social networking services platform (Art. 13).
        SocialNetwork = "social_network",
        /// Trust service provider (Art. 14).
        TrustService = "trust_service",
        /// Any other NIS2 entity: NIS2 Art. 23(3) applies without numeric thresholds.
        #[default]
        Other = "other",
    }
}

bulwark_core::text_enum! {
    /// The kinds of registry records, one CSV file each.
    pub enum RecordKind: "record kind" {
        /// Entities (`entities.csv`).
        Entities = "entities",
        /// Service provisions (`provisions.csv`).
        Provisions = "provisions",
        /// Assets (`assets.csv`).
        Assets = "assets",
        /// Dependencies (`dependencies.csv`).
        Dependencies = "dependencies",
    }
}

bulwark_core::text_enum! {
    /// A file format of import and export.
    pub enum Format: "format" {
        /// Comma-separated values with a header row; lists separated by `;`.
        Csv = "csv",
        /// One JSON object with the arrays `entities`, `provisions`, `assets`, `dependencies`.
        Json = "json",
    }
}
