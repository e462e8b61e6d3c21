//! The two official NATO languages. Reference data stored in tables carries both names (e.g.
//! `cooperation_area.name_fr`); the labels of stored enumerations (topics, statuses, services, ...)
//! and the headers of exports come from the translation table below, keyed by the stored code.
//! French terms follow the seed text (`seed/turkmenistan-relations.fr.txt`) where it names them.

use serde::Serialize;

/// A language a report, an export or the dashboard can be read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[default]
    En,
    Fr,
}

impl Language {
    /// `en`, `fr`, `fr-BE`, `FR`, ...; anything else is not a language of the service.
    pub fn parse(text: &str) -> Option<Language> {
        let tag = text.trim().to_ascii_lowercase();
        let primary = tag.split(['-', '_']).next().unwrap_or("");
        match primary {
            "en" => Some(Language::En),
            "fr" => Some(Language::Fr),
            _ => None,
        }
    }

    /// The preferred supported language of an `Accept-Language` header (English when none is).
    pub fn from_accept_language(header: &str) -> Language {
        let mut best: Option<(f32, Language)> = None;
        for part in header.split(',') {
            let mut pieces = part.split(';');
            let Some(lang) = pieces.next().and_then(Language::parse) else {
                continue;
            };
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q=").map(str::to_owned))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
        best.map_or(Language::En, |(_, l)| l)
    }

    pub fn code(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::Fr => "fr",
        }
    }
}

/// Kinds of coded values that have labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vocabulary {
    Topic,
    EnrollmentStatus,
    ObjectiveStatus,
    IterationStatus,
    CycleStatus,
    ProgrammeKind,
    Service,
    ActivityKind,
    Framework,
    /// Names of report sections, items and export columns.
    Report,
    CostCategory,
    FundingSource,
    /// Items of the level 1 evaluation questionnaire.
    EvaluationItem,
    /// Planned or actual, of a cost line.
    CostStage,
    /// Level 3 answers: whether the officer applies the course at work.
    AppliedAtWork,
    /// What a point of contact is for.
    ContactRole,
}

/// (code, English, French) per vocabulary.
fn table(vocabulary: Vocabulary) -> &'static [(&'static str, &'static str, &'static str)] {
    match vocabulary {
        Vocabulary::CostCategory => &[
            ("TUITION", "Tuition", "Frais de scolarité"),
            ("TRAVEL", "Travel", "Voyage"),
            ("ACCOMMODATION", "Accommodation", "Hébergement"),
            ("SUBSISTENCE", "Subsistence", "Indemnités de séjour"),
            ("EQUIPMENT", "Equipment", "Équipement"),
            ("GRANT", "Grant", "Subvention"),
            ("OTHER", "Other", "Autre"),
        ],
        Vocabulary::FundingSource => &[
            (
                "NATO_COMMON_FUNDING",
                "NATO common funding",
                "Financement commun de l'OTAN",
            ),
            ("TRUST_FUND", "Trust fund", "Fonds d'affectation spéciale"),
            ("SPS_GRANT", "SPS grant", "Subvention SPS"),
            ("PARTNER", "Partner", "Partenaire"),
            ("ALLIED_NATION", "Allied nation", "Pays allié"),
        ],
        Vocabulary::CostStage => &[
            ("PLANNED", "Planned", "Prévu"),
            ("ACTUAL", "Actual", "Réalisé"),
        ],
        Vocabulary::AppliedAtWork => &[
            ("YES", "Applied at work", "Appliqué au travail"),
            (
                "PARTLY",
                "Partly applied at work",
                "Partiellement appliqué au travail",
            ),
            ("NO", "Not applied at work", "Non appliqué au travail"),
        ],
        Vocabulary::ContactRole => &[
            ("COURSE_DIRECTOR", "Course director", "Directeur du cours"),
            (
                "PARTNER_POC",
                "Partner point of contact",
                "Point de contact du partenaire",
            ),
            (
                "NATO_DESK_OFFICER",
                "NATO desk officer",
                "Responsable de dossier à l'OTAN",
            ),
            ("OTHER", "Other", "Autre"),
        ],
        Vocabulary::EvaluationItem => &[
            ("relevance", "Relevance", "Pertinence"),
            ("content", "Content", "Contenu"),
            ("instruction", "Instruction", "Enseignement"),
            ("organisation", "Organisation", "Organisation"),
            ("overall", "Overall", "Appréciation générale"),
        ],
        Vocabulary::Topic => &[
            (
                "ARMS_CONTROL",
                "Arms control, disarmament and non-proliferation",
                "Maîtrise des armements, désarmement et non-prolifération",
            ),
            (
                "LAW_OF_ARMED_CONFLICT",
                "Law of armed conflict",
                "Droit des conflits armés",
            ),
            (
                "COUNTER_TERRORISM",
                "Counter-terrorism",
                "Lutte contre le terrorisme",
            ),
            ("TRAFFICKING", "Trafficking", "Problématique des trafics"),
            (
                "BORDER_SECURITY",
                "Border security and control",
                "Sécurité et contrôle des frontières",
            ),
            (
                "DEFENCE_PLANNING",
                "Defence planning and budgeting",
                "Établissement des plans et des budgets de défense",
            ),
            ("MEDICAL_SERVICES", "Medical services", "Services médicaux"),
            ("LANGUAGES", "Languages", "Apprentissage des langues"),
            (
                "CIVIL_PREPAREDNESS",
                "Civil preparedness",
                "Préparation du secteur civil",
            ),
            (
                "SCIENCE",
                "Science for peace and security",
                "Science au service de la paix et de la sécurité",
            ),
            (
                "PUBLIC_DIPLOMACY",
                "Public diplomacy",
                "Information et ouverture",
            ),
            ("OTHER", "Other", "Autre"),
        ],
        Vocabulary::EnrollmentStatus => &[
            ("NOMINATED", "Nominated", "Proposé"),
            ("CONFIRMED", "Confirmed", "Confirmé"),
            ("WAITLISTED", "Waitlisted", "En liste d'attente"),
            ("DECLINED", "Declined", "Refusé"),
            ("WITHDRAWN", "Withdrawn", "Retiré"),
            ("ATTENDED", "Attended", "Présent"),
            ("NO_SHOW", "No-show", "Absent"),
            ("COMPLETED", "Completed", "Terminé avec succès"),
            ("FAILED", "Failed", "Échec"),
            ("CANCELLED", "Cancelled", "Annulé"),
        ],
        Vocabulary::ObjectiveStatus => &[
            ("PLANNED", "Planned", "Prévu"),
            ("ON_TRACK", "On track", "En bonne voie"),
            ("AT_RISK", "At risk", "Compromis"),
            ("ACHIEVED", "Achieved", "Atteint"),
            ("DROPPED", "Dropped", "Abandonné"),
        ],
        Vocabulary::IterationStatus => &[
            ("PLANNED", "Planned", "Prévue"),
            ("OPEN", "Open", "Ouverte"),
            ("CLOSED", "Closed", "Close"),
            ("HELD", "Held", "Tenue"),
            ("CANCELLED", "Cancelled", "Annulée"),
        ],
        Vocabulary::CycleStatus => &[
            ("DRAFT", "Draft", "Projet"),
            ("APPROVED", "Approved", "Approuvé"),
            ("ACTIVE", "Active", "En vigueur"),
            ("CLOSED", "Closed", "Clos"),
            ("SUPERSEDED", "Superseded", "Remplacé"),
        ],
        Vocabulary::ProgrammeKind => &[
            (
                "IPCP",
                "Individual Partnership and Cooperation Programme",
                "Programme individuel de partenariat et de coopération",
            ),
            (
                "IPAP",
                "Individual Partnership Action Plan",
                "Plan d'action individuel pour le partenariat",
            ),
            (
                "ITPP",
                "Individually Tailored Partnership Programme",
                "Programme de partenariat individualisé",
            ),
            (
                "IPP",
                "Individual Partnership Programme",
                "Programme individuel de partenariat",
            ),
        ],
        Vocabulary::Service => &[
            ("ARMY", "Army", "Armée de terre"),
            ("NAVY", "Navy", "Marine"),
            ("AIR_FORCE", "Air force", "Armée de l'air"),
            ("BORDER_GUARD", "Border guard", "Garde-frontières"),
            ("CIVILIAN", "Civilian", "Civil"),
            ("OTHER", "Other", "Autre"),
        ],
        Vocabulary::ActivityKind => &[
            (
                "DISASTER_RESPONSE",
                "Disaster response",
                "Secours en cas de catastrophe",
            ),
            ("SCIENCE_PROJECT", "Science project", "Projet scientifique"),
            (
                "PUBLIC_DIPLOMACY",
                "Public diplomacy",
                "Information et ouverture",
            ),
            ("EXERCISE", "Exercise", "Exercice"),
            ("MEETING", "Meeting", "Réunion"),
            ("OTHER", "Other", "Autre"),
        ],
        Vocabulary::Framework => &[
            (
                "NACC",
                "North Atlantic Cooperation Council",
                "Conseil de coopération nord-atlantique",
            ),
            (
                "EAPC",
                "Euro-Atlantic Partnership Council",
                "Conseil de partenariat euro-atlantique",
            ),
            ("PFP", "Partnership for Peace", "Partenariat pour la paix"),
            (
                "SPS",
                "Science for Peace and Security",
                "Science au service de la paix et de la sécurité",
            ),
            (
                "IPCP",
                "Individual Partnership and Cooperation Programme",
                "Programme individuel de partenariat et de coopération",
            ),
            (
                "IPAP",
                "Individual Partnership Action Plan",
                "Plan d'action individuel pour le partenariat",
            ),
            (
                "ITPP",
                "Individually Tailored Partnership Programme",
                "Programme de partenariat individualisé",
            ),
            (
                "EADRCC",
                "Euro-Atlantic Disaster Response Coordination Centre",
                "Centre euro-atlantique de coordination des réactions en cas de catastrophe",
            ),
            ("OTHER", "Other", "Autre"),
        ],
        Vocabulary::Report => &[
            // Export columns.
            ("partner", "partner", "partenaire"),
            ("cycle", "cycle", "cycle"),
            ("cycle_start", "cycle start", "début du cycle"),
            ("cycle_end", "cycle end", "fin du cycle"),
            ("period", "period", "période"),
            ("section", "section", "rubrique"),
            ("group", "group", "groupe"),
            ("item", "item", "élément"),
            ("value", "value", "valeur"),
            // Periods.
            ("current", "current", "en cours"),
            ("previous", "previous", "précédent"),
            // Sections.
            ("objectives", "objectives by status", "objectifs par statut"),
            (
                "indicators",
                "objective indicators",
                "indicateurs des objectifs",
            ),
            ("topics", "iterations by topic", "sessions par thème"),
            (
                "trained_by_topic",
                "officers trained by topic",
                "officiers formés par thème",
            ),
            (
                "trained_by_service",
                "officers trained by service",
                "officiers formés par armée",
            ),
            (
                "trained_by_rank",
                "officers trained by rank",
                "officiers formés par grade",
            ),
            ("funnel", "enrollment funnel", "entonnoir des inscriptions"),
            ("rates", "rates", "taux"),
            ("activities", "activities by area", "activités par domaine"),
            // Items.
            ("all", "all", "tous"),
            ("actual", "actual", "réalisé"),
            ("target", "target", "cible"),
            ("iterations", "iterations", "sessions"),
            ("held_iterations", "held iterations", "sessions tenues"),
            ("seats_held", "seats held", "places occupées"),
            ("capacity", "capacity", "capacité"),
            ("fill_rate", "fill rate", "taux de remplissage"),
            (
                "partner_seats_held",
                "partner's seats held",
                "places occupées par le partenaire",
            ),
            ("officers_trained", "officers trained", "officiers formés"),
            ("completion_rate", "completion rate", "taux de réussite"),
            ("no_show_rate", "no-show rate", "taux d'absence"),
            ("withdrawal_rate", "withdrawal rate", "taux de retrait"),
            ("confirmed_places", "confirmed places", "places confirmées"),
            // Course evaluation (Kirkpatrick levels 1 and 3).
            ("evaluation", "course evaluation", "évaluation des cours"),
            (
                "evaluation_items",
                "questionnaire items",
                "éléments du questionnaire",
            ),
            (
                "applied_at_work",
                "applied at work (follow-up)",
                "application au travail (suivi)",
            ),
            (
                "eligible",
                "eligible participants",
                "participants concernés",
            ),
            ("responses", "responses", "réponses"),
            ("response_rate", "response rate", "taux de réponse"),
            ("mean", "mean rating", "note moyenne"),
            ("rated", "rated", "note"),
            ("follow_ups_due", "follow-ups due", "suivis dus"),
            (
                "follow_ups_recorded",
                "follow-ups recorded",
                "suivis enregistrés",
            ),
            ("follow_up_rate", "follow-up rate", "taux de suivi"),
            ("withheld", "withheld", "non publié"),
            (
                "too_few_responses",
                "too few responses",
                "trop peu de réponses",
            ),
            // Costs.
            ("costs", "costs", "coûts"),
            (
                "costs_by_category",
                "costs by category",
                "coûts par catégorie",
            ),
            (
                "costs_by_source",
                "costs by funding source",
                "coûts par source de financement",
            ),
            (
                "cost_per_officer_trained",
                "cost per officer trained (actual)",
                "coût par officier formé (réalisé)",
            ),
        ],
    }
}

/// The label of `code` in `lang`; an unknown code is its own label.
pub fn label(lang: Language, vocabulary: Vocabulary, code: &str) -> String {
    table(vocabulary)
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, en, fr)| match lang {
            Language::En => *en,
            Language::Fr => *fr,
        })
        .unwrap_or(code)
        .to_owned()
}

/// The name of reference data that has both names stored (French falls back to English).
pub fn name(lang: Language, en: &str, fr: Option<&str>) -> String {
    match (lang, fr) {
        (Language::Fr, Some(fr)) if !fr.trim().is_empty() => fr.to_owned(),
        _ => en.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_preferred_supported_language() {
        assert_eq!(
            Language::from_accept_language("fr-FR,fr;q=0.9,en;q=0.8"),
            Language::Fr
        );
        assert_eq!(
            Language::from_accept_language("de, en;q=0.5, fr;q=0.4"),
            Language::En
        );
        assert_eq!(Language::from_accept_language("de"), Language::En);
        assert_eq!(Language::from_accept_language(""), Language::En);
        assert_eq!(
            Language::from_accept_language("en;q=0, fr;q=0.1"),
            Language::Fr
        );
    }

    /// Every code of every labelled enumeration has an English and a French label of its own, so
    /// no report, export or field ever shows a bare code.
    #[test]
    fn every_stored_code_has_an_english_and_a_french_label() {
        use entity::enums::*;
        use sea_orm::{ActiveEnum, Iterable};

        fn codes<E: ActiveEnum<Value = String> + Iterable>() -> Vec<String> {
            E::iter().map(|v| v.to_value()).collect()
        }
        let vocabularies: Vec<(Vocabulary, Vec<String>)> = vec![
            (Vocabulary::Topic, codes::<CourseTopic>()),
            (Vocabulary::EnrollmentStatus, codes::<EnrollmentStatus>()),
            (Vocabulary::ObjectiveStatus, codes::<ObjectiveStatus>()),
            (Vocabulary::IterationStatus, codes::<IterationStatus>()),
            (Vocabulary::CycleStatus, codes::<CycleStatus>()),
            (Vocabulary::ProgrammeKind, codes::<ProgrammeKind>()),
            (Vocabulary::Service, codes::<Service>()),
            (Vocabulary::ActivityKind, codes::<ActivityKind>()),
            (Vocabulary::Framework, codes::<Framework>()),
            (Vocabulary::CostCategory, codes::<CostCategory>()),
            (Vocabulary::CostStage, codes::<CostStage>()),
            (Vocabulary::FundingSource, codes::<FundingSource>()),
            (Vocabulary::AppliedAtWork, codes::<AppliedAtWork>()),
            (Vocabulary::ContactRole, codes::<ContactRole>()),
            (
                Vocabulary::EvaluationItem,
                crate::service::evaluation::ITEMS
                    .iter()
                    .map(|i| (*i).to_owned())
                    .collect(),
            ),
        ];
        for (vocabulary, codes) in vocabularies {
            assert_eq!(
                table(vocabulary).len(),
                codes.len(),
                "{vocabulary:?}: one label per code"
            );
            for code in codes {
                let en = label(Language::En, vocabulary, &code);
                let fr = label(Language::Fr, vocabulary, &code);
                assert_ne!(en, code, "{vocabulary:?} {code}: no English label");
                assert_ne!(fr, code, "{vocabulary:?} {code}: no French label");
            }
        }
        assert_eq!(
            label(Language::Fr, Vocabulary::ContactRole, "COURSE_DIRECTOR"),
            "Directeur du cours"
        );
        assert_eq!(
            label(Language::Fr, Vocabulary::AppliedAtWork, "PARTLY"),
            "Partiellement appliqué au travail"
        );
    }

    #[test]
    fn unknown_codes_are_their_own_label() {
        assert_eq!(
            label(Language::Fr, Vocabulary::Service, "ARMY"),
            "Armée de terre"
        );
        assert_eq!(label(Language::Fr, Vocabulary::Service, "SPACE"), "SPACE");
    }
}
