//! Who may do what (权限): the one access policy of onewindow.
//!
//! The application service asks this module before every command and query; handlers never decide
//! access themselves. The policy is a pure function of the acting [`Principal`] and the facts of
//! the target, so it can be tested exhaustively (every role × every operation) without a database.
//!
//! Three answers are possible: allowed, refused (the user may see the thing but not do this to it),
//! and hidden (the user may not even know the thing exists: a case out of scope answers "not
//! found", so that case numbers cannot be probed).

use serde::{Deserialize, Serialize};

use crate::case::{Action, Status};
use crate::circulation::TaskAction;

/// A role a person holds (岗位角色). A person may hold several posts (一人多岗), each with its own
/// role, department and centre.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 申请人: a citizen or an enterprise applying for itself.
    Applicant,
    /// 代办员: a county agent who files and follows cases for their owners.
    Agent,
    /// 综合受理员: accepts at a comprehensive window of a centre; never decides.
    Clerk,
    /// 审查人: reviews inside one department.
    Reviewer,
    /// 审批人 / 首席代表: decides for one department.
    Approver,
    /// 效能监察: reads everything, changes nothing, searches the audit trail.
    Supervisor,
    /// 回访员: phones applicants after a case and records satisfaction.
    ReturnVisitOperator,
    /// 中介机构: a registered intermediary firm.
    Intermediary,
    /// 管理员: keeps the catalogue and the accounts; decides no case.
    Administrator,
}

impl Role {
    pub const ALL: [Role; 9] = [
        Role::Applicant,
        Role::Agent,
        Role::Clerk,
        Role::Reviewer,
        Role::Approver,
        Role::Supervisor,
        Role::ReturnVisitOperator,
        Role::Intermediary,
        Role::Administrator,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Applicant => "applicant",
            Role::Agent => "agent",
            Role::Clerk => "clerk",
            Role::Reviewer => "reviewer",
            Role::Approver => "approver",
            Role::Supervisor => "supervisor",
            Role::ReturnVisitOperator => "return_visit_operator",
            Role::Intermediary => "intermediary",
            Role::Administrator => "administrator",
        }
    }

    /// Parses a role name; `admin` is accepted for `administrator`.
    pub fn parse(text: &str) -> Option<Role> {
        let text = text.trim().to_ascii_lowercase().replace('-', "_");
        if text == "admin" {
            return Some(Role::Administrator);
        }
        Role::ALL.into_iter().find(|r| r.as_str() == text)
    }

    /// Staff roles work inside the government and need a department or a centre.
    pub fn needs_department(self) -> bool {
        matches!(self, Role::Reviewer | Role::Approver)
    }

    pub fn needs_centre(self) -> bool {
        matches!(self, Role::Clerk)
    }

    /// Roles that read or act on cases: every role but the administrator's and the
    /// intermediary's (who sees its own service orders, not cases).
    pub fn touches_cases(self) -> bool {
        !matches!(self, Role::Administrator | Role::Intermediary)
    }

    /// Public roles act for themselves or their clients, never inside the government.
    pub fn is_public(self) -> bool {
        matches!(self, Role::Applicant | Role::Agent | Role::Intermediary)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One post a person holds: a role, and where it applies.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Post {
    pub role: Role,
    /// The department code, for reviewers and approvers (and optionally other staff).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    /// The service centre, for window clerks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub centre: Option<String>,
}

impl Post {
    pub fn new(role: Role) -> Self {
        Self {
            role,
            department: None,
            centre: None,
        }
    }

    pub fn in_department(mut self, department: impl Into<String>) -> Self {
        self.department = Some(department.into());
        self
    }

    pub fn at_centre(mut self, centre: impl Into<String>) -> Self {
        self.centre = Some(centre.into());
        self
    }

    /// Reads a post written `role[:DEPARTMENT][@centre]`, e.g. `reviewer:SCJGJ` or
    /// `clerk@county-hall`, as the command line and the account pages take it. `Err` holds the
    /// role text that is not a role.
    pub fn parse_spec(spec: &str) -> Result<Post, String> {
        let (rest, centre) = match spec.split_once('@') {
            Some((r, c)) => (r, Some(c.to_string())),
            None => (spec, None),
        };
        let (role, department) = match rest.split_once(':') {
            Some((r, d)) => (r, Some(d.to_string())),
            None => (rest, None),
        };
        let role = Role::parse(role).ok_or_else(|| role.to_string())?;
        Ok(Post {
            role,
            department,
            centre,
        })
    }

    /// Several posts written with spaces or new lines between them.
    pub fn parse_specs(text: &str) -> Result<Vec<Post>, String> {
        text.split_whitespace().map(Post::parse_spec).collect()
    }

    /// Posts written as `parse_specs` reads them, separated by spaces.
    pub fn specs(posts: &[Post]) -> String {
        posts
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// What is wrong with one account's posts, by field (`posts`, `posts[i]`,
    /// `posts[i].department`, `posts[i].centre`): each post as [`Post::problems`] says, against
    /// the known departments and centres, no post twice, and no account that keeps the
    /// accounts and also reads or acts on cases (administrators see no cases; an administrator
    /// who could give itself a reviewer's post would).
    pub fn check_all(
        posts: &[Post],
        departments: &[&str],
        centres: &[&str],
    ) -> Vec<crate::validation::FieldError> {
        use crate::validation::FieldError;
        let mut errors = Vec::new();
        if posts.is_empty() {
            errors.push(FieldError::new("posts", "give at least one post (a role)"));
        }
        for (i, post) in posts.iter().enumerate() {
            for problem in post.problems() {
                errors.push(FieldError::new(format!("posts[{i}]"), problem));
            }
            if let Some(d) = post.department.as_deref().filter(|d| !d.is_empty()) {
                if d.chars().any(char::is_control) {
                    errors.push(FieldError::new(
                        format!("posts[{i}].department"),
                        "must not contain control characters",
                    ));
                } else if !departments.contains(&d) {
                    errors.push(FieldError::new(
                        format!("posts[{i}].department"),
                        format!("no department with code {d}"),
                    ));
                }
            }
            if let Some(c) = post.centre.as_deref().filter(|c| !c.is_empty()) {
                if c.chars().any(char::is_control) {
                    errors.push(FieldError::new(
                        format!("posts[{i}].centre"),
                        "must not contain control characters",
                    ));
                } else if !centres.contains(&c) {
                    errors.push(FieldError::new(
                        format!("posts[{i}].centre"),
                        format!("no service centre {c}"),
                    ));
                }
            }
            if posts[..i].contains(post) {
                errors.push(FieldError::new(
                    format!("posts[{i}]"),
                    format!("{post} is given twice"),
                ));
            }
        }
        if posts.iter().any(|p| p.role == Role::Administrator)
            && let Some(case_post) = posts.iter().find(|p| p.role.touches_cases())
        {
            errors.push(FieldError::new(
                "posts",
                format!(
                    "an administrator sees no cases: {case_post} cannot go with the administrator post; give it to another account"
                ),
            ));
        }
        errors
    }

    /// What is missing for this post to make sense, e.g. a reviewer without a department.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.role.needs_department() && self.department.as_deref().is_none_or(str::is_empty) {
            problems.push(format!("a {} post needs a department", self.role));
        }
        if self.role.needs_centre() && self.centre.as_deref().is_none_or(str::is_empty) {
            problems.push(format!("a {} post needs a service centre", self.role));
        }
        if self.role.is_public() && (self.department.is_some() || self.centre.is_some()) {
            problems.push(format!(
                "a {} post belongs to no department or centre",
                self.role
            ));
        } else {
            if self.department.is_some() && !self.role.needs_department() {
                problems.push(format!("a {} post takes no department", self.role));
            }
            if self.centre.is_some() && !self.role.needs_centre() {
                problems.push(format!("a {} post takes no service centre", self.role));
            }
        }
        problems
    }
}

impl std::fmt::Display for Post {
    /// `role[:DEPARTMENT][@centre]`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.role.as_str())?;
        if let Some(d) = &self.department {
            write!(f, ":{d}")?;
        }
        if let Some(c) = &self.centre {
            write!(f, "@{c}")?;
        }
        Ok(())
    }
}

/// The authenticated person on whose behalf a request runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Principal {
    pub user_id: String,
    /// The login name; also the name written into case histories and the audit trail.
    pub username: String,
    pub display_name: String,
    /// For applicants: the identity number or unified social credit code the account stands for;
    /// cases filed under it belong to this account even when a clerk filed them at a window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    pub posts: Vec<Post>,
    /// May see identity and phone numbers in full (a separate grant; each use is audited).
    pub may_reveal_personal_data: bool,
}

impl Principal {
    /// The service itself, for what the law does without anyone (acceptance by lapse of time).
    pub fn system() -> Self {
        Self {
            user_id: "system".into(),
            username: "system".into(),
            display_name: "system".into(),
            identity: None,
            posts: Vec::new(),
            may_reveal_personal_data: false,
        }
    }

    pub fn is_system(&self) -> bool {
        self.user_id == "system"
    }

    pub fn has_role(&self, role: Role) -> bool {
        self.posts.iter().any(|p| p.role == role)
    }

    /// The roles held, without repeats, in a stable order; for the audit trail.
    pub fn roles(&self) -> Vec<Role> {
        let mut roles: Vec<Role> = self.posts.iter().map(|p| p.role).collect();
        roles.sort();
        roles.dedup();
        roles
    }

    pub fn roles_text(&self) -> String {
        if self.is_system() {
            return "system".into();
        }
        self.roles()
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The departments in which the principal holds one of `roles`.
    pub fn departments_for(&self, roles: &[Role]) -> impl Iterator<Item = &str> {
        self.posts
            .iter()
            .filter(move |p| roles.contains(&p.role))
            .filter_map(|p| p.department.as_deref())
    }

    pub fn centres_for(&self, roles: &[Role]) -> impl Iterator<Item = &str> {
        self.posts
            .iter()
            .filter(move |p| roles.contains(&p.role))
            .filter_map(|p| p.centre.as_deref())
    }
}

/// The facts of a case that access depends on.
#[derive(Debug, Clone, Copy)]
pub struct CaseFacts<'a> {
    pub department: &'a str,
    pub centre: &'a str,
    pub status: Status,
    /// The account that filed the case, if it was filed by an account of the public.
    pub owner: Option<&'a str>,
    /// The applicant's identity number or credit code.
    pub applicant_identity: &'a str,
    /// The departments with a task in a joint case (empty for a single item).
    pub task_departments: &'a [String],
}

/// What a user asks to do to a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseOperation {
    Read,
    Act(Action),
    RevealPersonalData,
}

/// What a user asks to do outside any one case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// File an application (for oneself, for a client, or at the window).
    SubmitCase,
    /// List cases (the list is narrowed to the user's [`CaseScope`]).
    ListCases,
    ManageCatalogue,
    ManageAccounts,
    /// Load a holiday notice into the working-day calendar.
    ManageCalendar,
    ReadAudit,
    /// Statistics and reports over all cases.
    ReadReports,
}

impl Operation {
    pub const ALL: [Operation; 7] = [
        Operation::SubmitCase,
        Operation::ListCases,
        Operation::ManageCatalogue,
        Operation::ManageAccounts,
        Operation::ManageCalendar,
        Operation::ReadAudit,
        Operation::ReadReports,
    ];
}

/// The policy's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// The user may know the target but may not do this; the reason is shown to them.
    Refuse(String),
    /// The user may not know that the target exists.
    Hide,
}

impl Decision {
    pub fn is_allowed(&self) -> bool {
        matches!(self, Decision::Allow)
    }
}

/// The cases a user may see, as a filter the store can apply to a list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseScope {
    /// Every case.
    pub all: bool,
    /// Cases filed by this account.
    pub owner: Option<String>,
    /// Cases whose applicant has this identity.
    pub applicant_identity: Option<String>,
    /// Cases received at one of these centres.
    pub centres: Vec<String>,
    /// Cases routed to one of these departments.
    pub departments: Vec<String>,
}

impl CaseScope {
    /// True when no case at all is in scope.
    pub fn is_empty(&self) -> bool {
        !self.all
            && self.owner.is_none()
            && self.applicant_identity.is_none()
            && self.centres.is_empty()
            && self.departments.is_empty()
    }

    /// Whether one case is in this scope; the same test the store applies to lists.
    pub fn contains(&self, case: &CaseFacts<'_>) -> bool {
        self.all
            || self.owner.as_deref().is_some_and(|o| case.owner == Some(o))
            || self
                .applicant_identity
                .as_deref()
                .is_some_and(|i| i.eq_ignore_ascii_case(case.applicant_identity))
            || self.centres.iter().any(|c| c == case.centre)
            || self
                .departments
                .iter()
                .any(|d| d == case.department || case.task_departments.contains(d))
    }
}

const DEPARTMENT_STAFF: [Role; 2] = [Role::Reviewer, Role::Approver];
const READ_ALL: [Role; 2] = [Role::Supervisor, Role::ReturnVisitOperator];

/// The cases `who` may read.
pub fn case_scope(who: &Principal) -> CaseScope {
    if who.is_system() || READ_ALL.iter().any(|r| who.has_role(*r)) {
        return CaseScope {
            all: true,
            ..CaseScope::default()
        };
    }
    let public = who.has_role(Role::Applicant) || who.has_role(Role::Agent);
    let mut scope = CaseScope {
        owner: public.then(|| who.user_id.clone()),
        applicant_identity: if who.has_role(Role::Applicant) {
            who.identity.clone()
        } else {
            None
        },
        centres: who.centres_for(&[Role::Clerk]).map(String::from).collect(),
        departments: who
            .departments_for(&DEPARTMENT_STAFF)
            .map(String::from)
            .collect(),
        all: false,
    };
    scope.centres.sort();
    scope.centres.dedup();
    scope.departments.sort();
    scope.departments.dedup();
    scope
}

/// The departments whose commitments awaiting a check (承诺核查) `who` sees: `Ok(None)` for
/// every department (supervisors), the departments where they review or approve, or why not.
pub fn commitment_check_departments(who: &Principal) -> Result<Option<Vec<String>>, String> {
    if who.is_system() || READ_ALL.iter().any(|r| who.has_role(*r)) {
        return Ok(None);
    }
    let mut departments: Vec<String> = who
        .departments_for(&DEPARTMENT_STAFF)
        .map(String::from)
        .collect();
    departments.sort();
    departments.dedup();
    if departments.is_empty() {
        return Err(
            "the commitments to check are for a department's reviewers and approvers".into(),
        );
    }
    Ok(Some(departments))
}

/// Whether `who` may read the list of commitments found false (承诺不实名单): the staff who
/// accept, review, decide and supervise; never the public, whose own cases show their own.
pub fn decide_false_commitment_list(who: &Principal) -> Decision {
    let staff = [
        Role::Clerk,
        Role::Reviewer,
        Role::Approver,
        Role::Supervisor,
        Role::Administrator,
    ];
    if who.is_system() || staff.iter().any(|r| who.has_role(*r)) {
        Decision::Allow
    } else {
        Decision::Refuse(
            "the list of false commitments is for the centre's and departments' staff".into(),
        )
    }
}

/// Whether `who` is the case's own applicant (or the agent who filed it).
fn is_owner(who: &Principal, case: &CaseFacts<'_>) -> bool {
    let scope = CaseScope {
        owner: (who.has_role(Role::Applicant) || who.has_role(Role::Agent))
            .then(|| who.user_id.clone()),
        applicant_identity: if who.has_role(Role::Applicant) {
            who.identity.clone()
        } else {
            None
        },
        ..CaseScope::default()
    };
    !scope.is_empty() && scope.contains(case)
}

fn clerk_here(who: &Principal, case: &CaseFacts<'_>) -> bool {
    who.centres_for(&[Role::Clerk]).any(|c| c == case.centre)
}

fn department_role_here(who: &Principal, roles: &[Role], case: &CaseFacts<'_>) -> bool {
    who.departments_for(roles).any(|d| d == case.department)
}

/// Before acceptance the case is the window's; after it, the department's.
fn at_the_window(status: Status) -> bool {
    matches!(
        status,
        Status::Submitted | Status::PreReview | Status::SupplementRequested
    )
}

/// The decision for one operation on one case.
pub fn decide_case(who: &Principal, op: CaseOperation, case: &CaseFacts<'_>) -> Decision {
    if !case_scope(who).contains(case) {
        return Decision::Hide;
    }
    if who.is_system() {
        // The system only reads and runs its own commands (which are not user actions).
        return match op {
            CaseOperation::Read => Decision::Allow,
            _ => Decision::Refuse("the system acts on cases only through its own rules".into()),
        };
    }
    let owner = is_owner(who, case);
    let clerk = clerk_here(who, case);
    let reviewer = department_role_here(who, &DEPARTMENT_STAFF, case);
    let approver = department_role_here(who, &[Role::Approver], case);
    let allowed = match op {
        CaseOperation::Read => true,
        CaseOperation::RevealPersonalData => owner || who.may_reveal_personal_data,
        CaseOperation::Act(action) => match action {
            Action::StartPreReview | Action::Accept | Action::Reject | Action::Close => clerk,
            Action::RequestSupplement => {
                if at_the_window(case.status) {
                    clerk
                } else {
                    reviewer
                }
            }
            Action::ProvideSupplement => owner || clerk,
            // The applicant's own choice; the window on the applicant's written request.
            Action::Withdraw => owner || clerk,
            Action::StartReview
            | Action::Suspend
            | Action::Resume
            | Action::Propose
            | Action::IssueResult
            | Action::CheckCommitment => reviewer,
            // The law lets only the one who decides extend the time limit.
            Action::Extend | Action::Decide => approver,
            // The window or the department hands the result over (and records who took it);
            // the applicant's own ways are the download and the express choice.
            Action::Deliver => clerk || reviewer,
            Action::RecordVisit => clerk || reviewer,
        },
    };
    if allowed {
        return Decision::Allow;
    }
    Decision::Refuse(match op {
        CaseOperation::Read => "you may not read this case".into(),
        CaseOperation::RevealPersonalData => {
            "showing identity and phone numbers in full needs the personal-data permission".into()
        }
        CaseOperation::Act(action) => {
            let roles = roles_for_action(action, case.status)
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            format!(
                "{} on this case is for: {roles} (of its centre or department)",
                action.as_str()
            )
        }
    })
}

/// The decision for one action on one department's task of a joint case: the task's department
/// works it (its approvers decide), the case's window takes back what a department sent back.
pub fn decide_task(
    who: &Principal,
    action: TaskAction,
    case: &CaseFacts<'_>,
    task_department: &str,
) -> Decision {
    if !case_scope(who).contains(case) {
        return Decision::Hide;
    }
    let staff = |roles: &[Role]| who.departments_for(roles).any(|d| d == task_department);
    let (allowed, roles): (bool, &[Role]) = match action {
        TaskAction::Resubmit => (clerk_here(who, case), &[Role::Clerk]),
        TaskAction::Decide => (staff(&[Role::Approver]), &[Role::Approver]),
        _ => (staff(&DEPARTMENT_STAFF), &DEPARTMENT_STAFF),
    };
    if allowed {
        return Decision::Allow;
    }
    let roles = roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    Decision::Refuse(if action == TaskAction::Resubmit {
        format!(
            "{} on this task is for: {roles} of the case's centre",
            action.as_str()
        )
    } else {
        format!(
            "{} on this task is for: {roles} of department {task_department}",
            action.as_str()
        )
    })
}

/// Which roles may take an action, for the refusal message.
fn roles_for_action(action: Action, status: Status) -> &'static [Role] {
    match action {
        Action::StartPreReview | Action::Accept | Action::Reject | Action::Close => &[Role::Clerk],
        Action::RequestSupplement if at_the_window(status) => &[Role::Clerk],
        Action::RequestSupplement
        | Action::StartReview
        | Action::Suspend
        | Action::Resume
        | Action::Propose
        | Action::IssueResult
        | Action::CheckCommitment => &DEPARTMENT_STAFF,
        Action::ProvideSupplement | Action::Withdraw => {
            &[Role::Applicant, Role::Agent, Role::Clerk]
        }
        Action::Extend | Action::Decide => &[Role::Approver],
        Action::Deliver => &[Role::Clerk, Role::Reviewer, Role::Approver],
        Action::RecordVisit => &[Role::Clerk, Role::Reviewer, Role::Approver],
    }
}

/// The decision for an operation outside any one case.
pub fn decide(who: &Principal, op: Operation) -> Decision {
    let allowed = match op {
        Operation::SubmitCase => [Role::Applicant, Role::Agent, Role::Clerk]
            .iter()
            .any(|r| who.has_role(*r)),
        Operation::ListCases => !case_scope(who).is_empty(),
        Operation::ManageCatalogue | Operation::ManageAccounts | Operation::ManageCalendar => {
            who.has_role(Role::Administrator)
        }
        Operation::ReadAudit => who.has_role(Role::Supervisor),
        Operation::ReadReports => who.has_role(Role::Supervisor),
    };
    if allowed {
        Decision::Allow
    } else {
        Decision::Refuse(
            match op {
                Operation::SubmitCase => {
                    "filing an application is for applicants, agents and window clerks"
                }
                Operation::ListCases => "your posts give you no cases to list",
                Operation::ManageCatalogue => "the catalogue is kept by administrators",
                Operation::ManageAccounts => "accounts are managed by administrators",
                Operation::ManageCalendar => "the working-day calendar is kept by administrators",
                Operation::ReadAudit => "the audit trail is read by supervisors",
                Operation::ReadReports => "reports are read by supervisors",
            }
            .into(),
        )
    }
}

/// Whether `who` may file an application for `applicant_identity` at `centre`: applicants only for
/// themselves, clerks only at their own centre, agents for anyone.
pub fn decide_submission(who: &Principal, applicant_identity: &str, centre: &str) -> Decision {
    let base = decide(who, Operation::SubmitCase);
    if !base.is_allowed() {
        return base;
    }
    let for_self = who.has_role(Role::Applicant)
        && who
            .identity
            .as_deref()
            .is_some_and(|i| i.eq_ignore_ascii_case(applicant_identity));
    let at_own_window = who.centres_for(&[Role::Clerk]).any(|c| c == centre);
    if who.has_role(Role::Agent) || for_self || at_own_window {
        return Decision::Allow;
    }
    if who.has_role(Role::Clerk) && !who.has_role(Role::Applicant) {
        return Decision::Refuse(format!(
            "you accept at your own centre only, not at {centre:?}"
        ));
    }
    Decision::Refuse(
        "an applicant files only for the identity of their own account; an agent files for others"
            .into(),
    )
}

/// Who rates a case (好差评): its own applicant (or the agent who filed it) only. Staff who may
/// read the case are refused; anyone else finds no case.
pub fn decide_rating(who: &Principal, case: &CaseFacts<'_>) -> Decision {
    if is_owner(who, case) {
        Decision::Allow
    } else if case_scope(who).contains(case) {
        Decision::Refuse("a case is rated by its own applicant only".into())
    } else {
        Decision::Hide
    }
}

/// Who takes a rating on the window's pad (一次一评): a clerk of the case's centre, whose
/// service the applicant at the counter rates.
pub fn decide_rating_pad(who: &Principal, case: &CaseFacts<'_>) -> Decision {
    if clerk_here(who, case) {
        Decision::Allow
    } else if case_scope(who).contains(case) {
        Decision::Refuse("the rating pad belongs to a window of the case's centre".into())
    } else {
        Decision::Hide
    }
}

/// What one may do with a rectification (差评整改) of `department` on a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RectificationOperation {
    /// See it: the department, supervisors, the case's applicant.
    Read,
    /// Verify, resolve, appeal: the department's staff.
    Work,
    /// Decide an appeal: a supervisor.
    DecideAppeal,
    /// Rate how it was put right: the case's applicant.
    GiveFeedback,
}

/// The decision on a rectification: the serving department works it (谁办理、谁负责),
/// supervisors decide appeals, the applicant rates it; the rest of the county does not see it.
pub fn decide_rectification(
    who: &Principal,
    op: RectificationOperation,
    department: &str,
    case: &CaseFacts<'_>,
) -> Decision {
    let staff = who
        .departments_for(&DEPARTMENT_STAFF)
        .any(|d| d == department);
    let supervisor = who.has_role(Role::Supervisor);
    let owner = is_owner(who, case);
    if !(staff || supervisor || owner) {
        return Decision::Hide;
    }
    let allowed = match op {
        RectificationOperation::Read => true,
        RectificationOperation::Work => staff,
        RectificationOperation::DecideAppeal => supervisor,
        RectificationOperation::GiveFeedback => owner,
    };
    if allowed {
        Decision::Allow
    } else {
        Decision::Refuse(
            match op {
                RectificationOperation::Read => "",
                RectificationOperation::Work => {
                    "a rectification is worked by the department that served"
                }
                RectificationOperation::DecideAppeal => "an appeal is decided by a supervisor",
                RectificationOperation::GiveFeedback => {
                    "a rectification is rated by the applicant who gave the rating"
                }
            }
            .into(),
        )
    }
}

/// What one may do about a case's delivery by post (快递送达).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryOperation {
    /// Choose how the result comes (the window, or by post to an address under the agreement).
    Choose,
    /// Post the result with a waybill, or record by hand what the courier says of a parcel.
    Post,
}

/// The decision on a delivery operation: the applicant (or the agent who filed) and the window
/// choose; the window and the deciding department post. Outside the case's scope it is hidden.
pub fn decide_delivery(who: &Principal, op: DeliveryOperation, case: &CaseFacts<'_>) -> Decision {
    if !case_scope(who).contains(case) {
        return Decision::Hide;
    }
    let clerk = clerk_here(who, case);
    let allowed = match op {
        DeliveryOperation::Choose => clerk || is_owner(who, case),
        DeliveryOperation::Post => clerk || department_role_here(who, &DEPARTMENT_STAFF, case),
    };
    if allowed {
        Decision::Allow
    } else {
        Decision::Refuse(match op {
            DeliveryOperation::Choose => {
                "how the result comes is chosen by the applicant, the agent who filed, or the case's window".into()
            }
            DeliveryOperation::Post => {
                "a result is posted by the case's window or its department's staff".into()
            }
        })
    }
}

/// Who may read a licence in full and download it: its holder (an applicant account standing
/// for the holder's identity), the account that filed the case that issued it (an agent), the
/// issuing department's staff, and supervisors. Everyone else learns only what the public
/// verification answers, so the licence is hidden from them.
pub fn decide_licence_read(
    who: &Principal,
    holder_identity: &str,
    issuer_department: &str,
    case_filed_by: Option<&str>,
) -> Decision {
    let holder = who.has_role(Role::Applicant)
        && who
            .identity
            .as_deref()
            .is_some_and(|i| i.eq_ignore_ascii_case(holder_identity));
    let filer = case_filed_by == Some(who.user_id.as_str());
    let staff = who
        .departments_for(&[Role::Reviewer, Role::Approver])
        .any(|d| d == issuer_department);
    if holder || filer || staff || who.has_role(Role::Supervisor) {
        Decision::Allow
    } else {
        Decision::Hide
    }
}

/// Who may change, revoke or cancel a licence: the issuing department's approver (审批人), who
/// decides for the department.
pub fn decide_licence_amend(who: &Principal, issuer_department: &str) -> Decision {
    if who
        .departments_for(&[Role::Approver])
        .any(|d| d == issuer_department)
    {
        Decision::Allow
    } else if who
        .departments_for(&[Role::Reviewer])
        .any(|d| d == issuer_department)
        || who.has_role(Role::Supervisor)
    {
        Decision::Refuse(
            "only the issuing department's approver changes, revokes or cancels a licence".into(),
        )
    } else {
        Decision::Hide
    }
}

/// Masks the middle of an identifier: `3302**********1234`, `138****8000`. At least four
/// characters are always hidden; short values keep only their end.
pub fn mask(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    let n = chars.len();
    if n == 0 {
        return String::new();
    }
    if n <= 8 {
        let keep = if n > 4 { 2 } else { 1 };
        let mut out: String = "*".repeat(n - keep);
        out.extend(&chars[n - keep..]);
        return out;
    }
    // Phone numbers keep 3 + 4 (138****8000), longer identifiers 4 + 4, as Chinese portals show them.
    let (keep_head, keep_tail) = match n {
        16.. => (4, 4),
        11..=15 => (3, 4),
        _ => (2, 2),
    };
    let mut out: String = chars[..keep_head].iter().collect();
    out.push_str(&"*".repeat(n - keep_head - keep_tail));
    out.extend(&chars[n - keep_tail..]);
    out
}

/// Masks every run of seven or more digits in a text (phone and identity numbers written into
/// an address or a note), keeping the rest as it is.
pub fn mask_numbers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.chars().count() >= 7 {
            out.push_str(&mask(run));
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if c.is_ascii_digit() {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn person(role: Role) -> Principal {
        let post = match role {
            Role::Clerk => Post::new(role).at_centre("county"),
            Role::Reviewer | Role::Approver => Post::new(role).in_department("scjg"),
            _ => Post::new(role),
        };
        Principal {
            user_id: format!("u-{role}"),
            username: role.to_string(),
            display_name: role.to_string(),
            identity: (role == Role::Applicant).then(|| "330226199001011234".to_string()),
            posts: vec![post],
            may_reveal_personal_data: false,
        }
    }

    fn case(status: Status) -> CaseFacts<'static> {
        CaseFacts {
            department: "scjg",
            centre: "county",
            status,
            owner: Some("u-agent"),
            applicant_identity: "330226199001011234",
            task_departments: &[],
        }
    }

    #[test]
    fn a_joint_case_is_seen_by_every_member_department_and_each_works_only_its_task() {
        let departments = vec!["gaj".to_string(), "xfjy".to_string()];
        let joint = CaseFacts {
            department: "gaj",
            task_departments: &departments,
            ..case(Status::InReview)
        };
        let mut fire = person(Role::Reviewer);
        fire.posts = vec![Post::new(Role::Reviewer).in_department("xfjy")];
        let mut fire_chief = person(Role::Approver);
        fire_chief.posts = vec![Post::new(Role::Approver).in_department("xfjy")];
        assert_eq!(
            decide_case(&fire, CaseOperation::Read, &joint),
            Decision::Allow
        );
        assert!(decide_task(&fire, TaskAction::Claim, &joint, "xfjy").is_allowed());
        assert!(matches!(
            decide_task(&fire, TaskAction::Claim, &joint, "gaj"),
            Decision::Refuse(r) if r.contains("department gaj")
        ));
        assert!(!decide_task(&fire, TaskAction::Decide, &joint, "xfjy").is_allowed());
        assert!(decide_task(&fire_chief, TaskAction::Decide, &joint, "xfjy").is_allowed());
        assert!(
            decide_task(&person(Role::Clerk), TaskAction::Resubmit, &joint, "xfjy").is_allowed()
        );
        assert!(
            !decide_task(&person(Role::Clerk), TaskAction::Decide, &joint, "xfjy").is_allowed()
        );
        // A department with no task does not know the case exists.
        assert_eq!(
            decide_task(&person(Role::Reviewer), TaskAction::Claim, &joint, "xfjy"),
            Decision::Hide
        );
        let scope = case_scope(&fire);
        assert!(scope.contains(&joint));
        assert!(!scope.contains(&case(Status::InReview)));
    }

    #[test]
    fn mask_keeps_four_and_four() {
        assert_eq!(mask("330226199001011234"), "3302**********1234");
        assert_eq!(mask("13800138000"), "138****8000");
        assert_eq!(mask("91330226MA2XXXXX1X"), "9133**********XX1X");
        assert_eq!(mask("1234"), "***4");
        assert_eq!(mask(""), "");
    }

    #[test]
    fn numbers_inside_text_are_masked() {
        assert_eq!(
            mask_numbers("林晓梅 13805740000 宁海县跃龙街道 88 号"),
            "林晓梅 138****0000 宁海县跃龙街道 88 号"
        );
        assert_eq!(mask_numbers("no numbers"), "no numbers");
    }

    #[test]
    fn posts_are_checked_against_the_county_and_an_administrator_gets_no_case_post() {
        let departments = ["SCJGJ", "WJJ"];
        let centres = ["county-hall"];
        let check = |specs: &str| {
            let posts = Post::parse_specs(specs).expect("roles");
            Post::check_all(&posts, &departments, &centres)
                .into_iter()
                .map(|e| (e.field, e.reason))
                .collect::<Vec<_>>()
        };
        assert!(check("reviewer:SCJGJ clerk@county-hall supervisor").is_empty());
        assert!(check("administrator").is_empty());
        let fields = |specs: &str| check(specs).into_iter().map(|(f, _)| f).collect::<Vec<_>>();
        assert_eq!(fields(""), ["posts"]);
        assert_eq!(fields("reviewer:NOPE"), ["posts[0].department"]);
        assert_eq!(fields("clerk@elsewhere"), ["posts[0].centre"]);
        assert_eq!(fields("reviewer:SCJGJ reviewer:SCJGJ"), ["posts[1]"]);
        assert_eq!(
            fields("supervisor:SCJGJ"),
            ["posts[0]"],
            "a supervisor takes no department"
        );
        assert_eq!(fields("administrator@county-hall"), ["posts[0]"]);
        assert_eq!(fields("reviewer:SCJGJ@county-hall"), ["posts[0]"]);
        for case_post in [
            "supervisor",
            "reviewer:WJJ",
            "clerk@county-hall",
            "return_visit_operator",
        ] {
            let found = check(&format!("administrator {case_post}"));
            assert_eq!(found.len(), 1, "{case_post}: {found:?}");
            assert_eq!(found[0].0, "posts");
            assert!(found[0].1.contains("sees no cases"), "{found:?}");
        }
        let control = vec![Post::new(Role::Reviewer).in_department("SC\u{0}JGJ")];
        let found = Post::check_all(&control, &departments, &centres);
        assert_eq!(found.len(), 1);
        assert!(found[0].reason.contains("control"), "{found:?}");
    }

    proptest! {
        #[test]
        fn mask_never_shows_the_middle(s in "[0-9A-Z]{9,24}") {
            let m = mask(&s);
            prop_assert_eq!(m.chars().count(), s.chars().count());
            let visible = m.chars().filter(|c| *c != '*').count();
            prop_assert!(visible <= 8);
            prop_assert!(s.len() - visible >= 4);
        }
    }

    #[test]
    fn separation_of_acceptance_and_decision() {
        let clerk = person(Role::Clerk);
        let approver = person(Role::Approver);
        let c = case(Status::PreReview);
        assert!(decide_case(&clerk, CaseOperation::Act(Action::Accept), &c).is_allowed());
        assert!(!decide_case(&approver, CaseOperation::Act(Action::Accept), &c).is_allowed());
        let c = case(Status::InReview);
        assert!(!decide_case(&clerk, CaseOperation::Act(Action::Decide), &c).is_allowed());
        assert!(decide_case(&approver, CaseOperation::Act(Action::Decide), &c).is_allowed());
        assert!(
            !decide_case(
                &person(Role::Reviewer),
                CaseOperation::Act(Action::Decide),
                &c
            )
            .is_allowed()
        );
    }

    #[test]
    fn out_of_scope_cases_are_hidden_not_refused() {
        let mut other = case(Status::InReview);
        other.department = "gaj";
        other.centre = "township";
        other.owner = Some("someone-else");
        other.applicant_identity = "110101199003074477";
        for role in [
            Role::Applicant,
            Role::Agent,
            Role::Clerk,
            Role::Reviewer,
            Role::Approver,
            Role::Intermediary,
            Role::Administrator,
        ] {
            assert_eq!(
                decide_case(&person(role), CaseOperation::Read, &other),
                Decision::Hide,
                "{role}"
            );
        }
        for role in [Role::Supervisor, Role::ReturnVisitOperator] {
            assert!(decide_case(&person(role), CaseOperation::Read, &other).is_allowed());
        }
    }

    #[test]
    fn supervisors_read_but_never_act() {
        let s = person(Role::Supervisor);
        for status in Status::ALL {
            for action in status.allowed_actions() {
                assert!(matches!(
                    decide_case(&s, CaseOperation::Act(*action), &case(status)),
                    Decision::Refuse(_)
                ));
            }
        }
        assert!(decide(&s, Operation::ReadAudit).is_allowed());
        assert!(!decide(&s, Operation::ManageAccounts).is_allowed());
        assert!(!decide(&s, Operation::SubmitCase).is_allowed());
    }

    #[test]
    fn administrators_keep_accounts_but_see_no_cases() {
        let a = person(Role::Administrator);
        assert!(decide(&a, Operation::ManageAccounts).is_allowed());
        assert!(decide(&a, Operation::ManageCatalogue).is_allowed());
        assert!(decide(&a, Operation::ManageCalendar).is_allowed());
        assert!(!decide(&person(Role::Supervisor), Operation::ManageCalendar).is_allowed());
        assert!(!decide(&a, Operation::ReadAudit).is_allowed());
        assert!(!decide(&a, Operation::ListCases).is_allowed());
        assert_eq!(
            decide_case(&a, CaseOperation::Read, &case(Status::InReview)),
            Decision::Hide
        );
    }

    #[test]
    fn applicants_file_only_for_themselves_and_agents_for_anyone() {
        let me = person(Role::Applicant);
        assert!(decide_submission(&me, "330226199001011234", "county").is_allowed());
        assert!(!decide_submission(&me, "110101199003074477", "county").is_allowed());
        let agent = person(Role::Agent);
        assert!(decide_submission(&agent, "110101199003074477", "county").is_allowed());
        let clerk = person(Role::Clerk);
        assert!(decide_submission(&clerk, "110101199003074477", "county").is_allowed());
        assert!(!decide_submission(&clerk, "110101199003074477", "township").is_allowed());
        assert!(
            !decide_submission(&person(Role::Reviewer), "110101199003074477", "county")
                .is_allowed()
        );
    }

    #[test]
    fn one_person_many_posts_gets_the_union() {
        let mut p = person(Role::Reviewer);
        p.posts.push(Post::new(Role::Clerk).at_centre("township"));
        let scope = case_scope(&p);
        assert_eq!(scope.departments, vec!["scjg".to_string()]);
        assert_eq!(scope.centres, vec!["township".to_string()]);
        let mut c = case(Status::PreReview);
        c.department = "gaj";
        c.centre = "township";
        assert!(decide_case(&p, CaseOperation::Act(Action::Accept), &c).is_allowed());
    }

    #[test]
    fn the_supplement_request_belongs_to_the_window_then_the_department() {
        let clerk = person(Role::Clerk);
        let reviewer = person(Role::Reviewer);
        let op = CaseOperation::Act(Action::RequestSupplement);
        assert!(decide_case(&clerk, op, &case(Status::PreReview)).is_allowed());
        assert!(!decide_case(&reviewer, op, &case(Status::PreReview)).is_allowed());
        assert!(decide_case(&reviewer, op, &case(Status::InReview)).is_allowed());
        assert!(!decide_case(&clerk, op, &case(Status::InReview)).is_allowed());
    }

    #[test]
    fn revealing_personal_data_is_a_separate_grant() {
        let mut clerk = person(Role::Clerk);
        let c = case(Status::PreReview);
        assert!(!decide_case(&clerk, CaseOperation::RevealPersonalData, &c).is_allowed());
        clerk.may_reveal_personal_data = true;
        assert!(decide_case(&clerk, CaseOperation::RevealPersonalData, &c).is_allowed());
        // An applicant may always see their own.
        assert!(
            decide_case(
                &person(Role::Applicant),
                CaseOperation::RevealPersonalData,
                &c
            )
            .is_allowed()
        );
    }

    #[test]
    fn posts_are_written_and_read_back() {
        let posts = Post::parse_specs("reviewer:SCJGJ clerk@county-hall\nadmin").expect("posts");
        assert_eq!(
            Post::specs(&posts),
            "reviewer:SCJGJ clerk@county-hall administrator"
        );
        assert_eq!(Post::parse_spec("boss:X"), Err("boss".to_string()));
    }

    #[test]
    fn posts_name_what_they_lack() {
        assert!(!Post::new(Role::Reviewer).problems().is_empty());
        assert!(!Post::new(Role::Clerk).problems().is_empty());
        assert!(Post::new(Role::Clerk).at_centre("c").problems().is_empty());
        assert!(
            !Post::new(Role::Applicant)
                .at_centre("c")
                .problems()
                .is_empty()
        );
        assert_eq!(Role::parse("admin"), Some(Role::Administrator));
        assert_eq!(
            Role::parse("return-visit-operator"),
            Some(Role::ReturnVisitOperator)
        );
    }
    #[test]
    fn a_licence_is_read_by_its_holder_its_filer_its_issuer_and_supervisors_only() {
        // person(Applicant) stands for 330226199001011234; staff sit in "scjg".
        let holder = person(Role::Applicant);
        let agent = person(Role::Agent);
        let reviewer = person(Role::Reviewer);
        let approver = person(Role::Approver);
        let clerk = person(Role::Clerk);
        let supervisor = person(Role::Supervisor);
        let read = |who: &Principal, department: &str, filer: Option<&str>| {
            decide_licence_read(who, "330226199001011234", department, filer)
        };
        assert_eq!(read(&holder, "scjg", None), Decision::Allow);
        assert_eq!(read(&agent, "scjg", Some("u-agent")), Decision::Allow);
        assert_eq!(read(&agent, "scjg", Some("u-other")), Decision::Hide);
        assert_eq!(read(&reviewer, "scjg", None), Decision::Allow);
        assert_eq!(read(&approver, "gaj", None), Decision::Hide);
        assert_eq!(read(&clerk, "scjg", None), Decision::Hide);
        assert_eq!(read(&supervisor, "gaj", None), Decision::Allow);
        let mut stranger = person(Role::Applicant);
        stranger.identity = Some("330226198001011230".into());
        assert_eq!(read(&stranger, "scjg", None), Decision::Hide);
        assert!(matches!(
            decide_licence_amend(&reviewer, "scjg"),
            Decision::Refuse(_)
        ));
        assert_eq!(decide_licence_amend(&approver, "gaj"), Decision::Hide);
        assert_eq!(decide_licence_amend(&approver, "scjg"), Decision::Allow);
        assert_eq!(decide_licence_amend(&holder, "scjg"), Decision::Hide);
    }

    #[test]
    fn the_applicant_and_the_window_choose_the_window_and_the_department_post() {
        let c = case(Status::ResultIssued);
        let choose = |who: &Principal| decide_delivery(who, DeliveryOperation::Choose, &c);
        let post = |who: &Principal| decide_delivery(who, DeliveryOperation::Post, &c);
        assert_eq!(choose(&person(Role::Applicant)), Decision::Allow);
        assert_eq!(choose(&person(Role::Agent)), Decision::Allow);
        assert_eq!(choose(&person(Role::Clerk)), Decision::Allow);
        assert!(matches!(
            choose(&person(Role::Reviewer)),
            Decision::Refuse(_)
        ));
        assert_eq!(post(&person(Role::Clerk)), Decision::Allow);
        assert_eq!(post(&person(Role::Reviewer)), Decision::Allow);
        assert!(matches!(
            post(&person(Role::Applicant)),
            Decision::Refuse(_)
        ));
        let mut stranger = person(Role::Applicant);
        stranger.identity = Some("330226198001011230".into());
        assert_eq!(choose(&stranger), Decision::Hide);
        let mut elsewhere = person(Role::Reviewer);
        elsewhere.posts = vec![Post::new(Role::Reviewer).in_department("gaj")];
        assert_eq!(post(&elsewhere), Decision::Hide);
    }

    #[test]
    fn the_applicant_rates_the_department_rectifies_the_supervisor_decides_appeals() {
        let c = case(Status::Delivered);
        assert_eq!(decide_rating(&person(Role::Applicant), &c), Decision::Allow);
        assert_eq!(decide_rating(&person(Role::Agent), &c), Decision::Allow);
        assert!(matches!(
            decide_rating(&person(Role::Clerk), &c),
            Decision::Refuse(_)
        ));
        let mut stranger = person(Role::Applicant);
        stranger.identity = Some("330226198001011230".into());
        assert_eq!(decide_rating(&stranger, &c), Decision::Hide);
        use RectificationOperation::*;
        let on = |who: &Principal, op| decide_rectification(who, op, "scjg", &c);
        assert_eq!(on(&person(Role::Reviewer), Work), Decision::Allow);
        assert!(matches!(
            on(&person(Role::Reviewer), DecideAppeal),
            Decision::Refuse(_)
        ));
        assert_eq!(on(&person(Role::Supervisor), DecideAppeal), Decision::Allow);
        assert!(matches!(
            on(&person(Role::Supervisor), Work),
            Decision::Refuse(_)
        ));
        assert_eq!(on(&person(Role::Applicant), GiveFeedback), Decision::Allow);
        assert_eq!(on(&person(Role::Applicant), Read), Decision::Allow);
        assert_eq!(on(&person(Role::Clerk), Read), Decision::Hide);
        assert_eq!(on(&stranger, Read), Decision::Hide);
    }
}
