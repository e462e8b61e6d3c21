//! Who is calling and what each role may do (DOMAIN.md "Who uses it"). The policy lives here, in one
//! table; the API puts a guard naming the needed access on every field.

use entity::enums::Role;

/// The authenticated caller of a request (or anonymous).
#[derive(Debug, Clone)]
pub struct Caller {
    pub token_id: Option<i32>,
    /// The token's name: the actor recorded in the audit log (never the token itself).
    pub name: String,
    pub role: Option<Role>,
}

impl Caller {
    pub fn anonymous() -> Caller {
        Caller {
            token_id: None,
            name: "anonymous".into(),
            role: None,
        }
    }

    pub fn may(&self, access: Access) -> bool {
        self.role.is_some_and(|role| allows(role, access))
    }
}

/// Kinds of access a field needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Records of the programme (no personal data).
    Read,
    /// Officers' names, positions and language profiles.
    PersonalData,
    /// Aggregated reports and exports.
    Report,
    /// Recording and changing programme data.
    Write,
    /// Tokens and the audit log.
    Admin,
}

/// The policy: ADMIN everything; PROGRAMME_OFFICER reads (personal data included) and writes;
/// ANALYST reads without personal data and reports; REPORTER reports and exports only.
pub fn allows(role: Role, access: Access) -> bool {
    use Access as A;
    match role {
        Role::Admin => true,
        Role::ProgrammeOfficer => {
            matches!(access, A::Read | A::PersonalData | A::Report | A::Write)
        }
        Role::Analyst => matches!(access, A::Read | A::Report),
        Role::Reporter => matches!(access, A::Report),
    }
}

pub fn role_name(role: Role) -> &'static str {
    match role {
        Role::Admin => "ADMIN",
        Role::ProgrammeOfficer => "PROGRAMME_OFFICER",
        Role::Analyst => "ANALYST",
        Role::Reporter => "REPORTER",
    }
}

pub fn parse_role(text: &str) -> Option<Role> {
    match text.trim().to_ascii_uppercase().replace('-', "_").as_str() {
        "ADMIN" => Some(Role::Admin),
        "PROGRAMME_OFFICER" | "PROGRAM_OFFICER" => Some(Role::ProgrammeOfficer),
        "ANALYST" => Some(Role::Analyst),
        "REPORTER" => Some(Role::Reporter),
        _ => None,
    }
}
