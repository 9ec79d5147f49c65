//! Pages: investment projects (投资项目) — registration with the unified code, the project page
//! with its plan by stage, the critical-path chart and progress, the forms of simulated approval,
//! the land and the agent, and the agent's board with the monthly progress review.
//!
//! Every rule is the service's (`onewindow_app::projects`); these pages parse the forms, call it
//! and put its answers and refusals (next to their fields) into words.

use std::collections::BTreeMap;

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{Datelike, NaiveDate};
use onewindow_app::accounts::Authenticated;
use onewindow_app::projects::{BoardLine, ProjectView, Region};
use onewindow_app::{AppError, Service};
use onewindow_domain::access::Role;
use onewindow_domain::catalogue::Department;
use onewindow_domain::identifiers::{IdentifierError, UnifiedSocialCreditCode};
use onewindow_domain::project::{
    Assessment, Land, NewProject, Project, ProjectType, Stage, StepProgress,
};
use onewindow_domain::validation::FieldError;
use serde::Deserialize;

use super::case_view::department_name;
use super::page_error::{OrPage, PageResult};
use super::{Chrome, PageCtx, encode_query_value, render, see_other};
use crate::i18n::Messages;

mod apply;
mod board;
mod list;
mod project;
mod register;
#[cfg(test)]
mod tests;

pub(crate) use apply::*;
use board::*;
use list::*;
use project::*;
use register::*;

/// Who may register a project: its owner (an enterprise account), an agent, a window clerk.
const REGISTER_ROLES: &[Role] = &[Role::Applicant, Role::Agent, Role::Clerk];
/// Who sees the board.
const BOARD_ROLES: &[Role] = &[Role::Agent, Role::Clerk, Role::Supervisor];

pub fn routes() -> Router<Service> {
    Router::new()
        .route("/projects", get(list))
        .route("/projects/new", get(new_form).post(register))
        .route("/projects/board", get(board))
        .route("/projects/{code}", get(show_project))
        .route("/projects/{code}/opinion", post(opinion))
        .route("/projects/{code}/land", post(land))
        .route("/projects/{code}/agent", post(agent))
}

fn type_key(t: ProjectType) -> &'static str {
    match t {
        ProjectType::Industrial => "projects-type-industrial",
        ProjectType::Commercial => "projects-type-commercial",
        ProjectType::Public => "projects-type-public",
        ProjectType::Village => "projects-type-village",
    }
}

fn stage_key(s: Stage) -> &'static str {
    match s {
        Stage::ProjectAndLand => "projects-stage-project_and_land",
        Stage::ConstructionLicence => "projects-stage-construction_licence",
        Stage::ConstructionPermit => "projects-stage-construction_permit",
        Stage::Completion => "projects-stage-completion",
    }
}

fn assessment_key(a: Assessment) -> &'static str {
    match a {
        Assessment::EnvironmentalImpact => "projects-assessment-environmental_impact",
        Assessment::SoilAndWater => "projects-assessment-soil_and_water",
        Assessment::Energy => "projects-assessment-energy",
        Assessment::Traffic => "projects-assessment-traffic",
        Assessment::GeologicalHazard => "projects-assessment-geological_hazard",
    }
}

fn parse_type(text: &str) -> Option<ProjectType> {
    match text.trim() {
        "industrial" => Some(ProjectType::Industrial),
        "commercial" => Some(ProjectType::Commercial),
        "public" => Some(ProjectType::Public),
        "village" => Some(ProjectType::Village),
        _ => None,
    }
}

fn type_value(t: ProjectType) -> &'static str {
    match t {
        ProjectType::Industrial => "industrial",
        ProjectType::Commercial => "commercial",
        ProjectType::Public => "public",
        ProjectType::Village => "village",
    }
}

fn parse_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()
}

fn project_href(code: &str) -> String {
    format!("/projects/{}", encode_query_value(code))
}

/// Whether `session` is the project's owner (an enterprise account with its credit code).
fn is_owner(session: &Authenticated, project: &Project) -> bool {
    let who = &session.actor.principal;
    who.has_role(Role::Applicant)
        && who
            .identity
            .as_deref()
            .is_some_and(|i| i.eq_ignore_ascii_case(&project.owner_identity))
}

fn region_name(regions: &[Region], code: &str) -> String {
    regions
        .iter()
        .find(|r| r.code == code)
        .map_or_else(|| code.to_string(), |r| r.name.clone())
}

/// What is wrong with a credit code, in words, naming the wrong character.
fn credit_code_problem(t: &Messages, text: &str) -> Option<String> {
    let e = UnifiedSocialCreditCode::parse(text).err()?;
    Some(match (&e, e.position()) {
        (IdentifierError::Empty { .. }, _) => t.get("projects-error-required").to_string(),
        (_, Some(n)) => t.fill1("projects-error-code-position", "n", n.to_string()),
        _ => t.get("projects-error-code-invalid").to_string(),
    })
}

/// An option of a select.
#[derive(Debug, Clone)]
struct Choice {
    value: String,
    label: String,
    selected: bool,
}
