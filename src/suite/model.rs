//! The suite model: what `suite.yaml`, `requirements.yaml` and `cases/*.yaml` hold.
//! Every node a message may point at keeps its place (`Spanned`). The format is documented
//! in `docs/suite-format.md`.

use std::path::PathBuf;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use serde_saphyr::Spanned;

use super::ordered_map::OrderedMap;

/// A loaded suite: the directory's files, parsed.
#[derive(Debug)]
pub struct Suite {
    pub dir: PathBuf,
    /// Where fixture files may live: the project holding `suites/` (see `load::fixture_root`).
    pub fixture_root: PathBuf,
    pub meta: SuiteMeta,
    pub requirements: Vec<Requirement>,
    pub case_files: Vec<CaseFile>,
    /// Every invariant, from suite.yaml and invariants.yaml, with the file it is in.
    pub invariants: Vec<(PathBuf, Spanned<Invariant>)>,
    /// Each fragment's parameters, by name (its steps are expanded into the cases using it).
    pub fragments: std::collections::BTreeMap<String, Vec<String>>,
    /// Hex SHA-256 over every file of the suite and the fixtures it reads.
    pub digest: String,
    /// The agency's API description `suite.yaml` names (`openapi:`), read.
    pub api: Option<std::sync::Arc<crate::openapi::ApiDoc>>,
    /// The proposal `suite.yaml` names, read.
    pub proposal: Option<LoadedProposal>,
    /// Those files, as they were found (what `cpc bundle` packs as the suite that was run).
    pub digested: Vec<PathBuf>,
    /// The requirements of `generate` blocks that could not be made (their problems are said):
    /// not also said to be uncovered.
    pub unmade: std::collections::BTreeSet<String>,
}

impl Suite {
    pub fn cases(&self) -> impl Iterator<Item = (&CaseFile, &Spanned<Case>)> {
        self.case_files
            .iter()
            .flat_map(|f| f.cases.iter().map(move |c| (f, c)))
    }

    pub fn requirement(&self, id: &str) -> Option<&Requirement> {
        self.requirements.iter().find(|r| r.id.value == id)
    }

    /// The suite's own portal behaviour (a WireMock root), when it has one.
    pub fn portal_dir(&self) -> Option<PathBuf> {
        Some(self.dir.join("portal")).filter(|d| d.is_dir())
    }
}

/// `suite.yaml`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuiteMeta {
    pub id: String,
    pub service_code: String,
    pub name_th: String,
    pub name_en: Option<String>,
    pub agency_th: String,
    pub agency_en: Option<String>,
    pub proposal_version: String,
    /// The technical proposal this suite tests (Word or Markdown, in the suite): its clauses are
    /// compared with requirements.yaml, and its digest is in gate.json and the report.
    #[serde(default)]
    pub proposal: Option<Spanned<String>>,
    /// What the proposal holds that looks like a clause but is not one, each with why (a
    /// tester's word; `cpc init --allow-skipped` lists them with a FILL-IN reason).
    #[serde(default)]
    pub proposal_skipped: Vec<SkippedItem>,
    /// Roles of the service flow besides citizen, staff and admin, with their labels.
    #[serde(default)]
    pub actors: std::collections::BTreeMap<String, ActorLabel>,
    #[serde(default)]
    pub defaults: Defaults,
    #[serde(default)]
    pub variables: OrderedMap<Spanned<String>, Variable>,
    /// Evaluated afresh at the start of every case, before the case's own `vars`
    /// (e.g. `request_id: "{{ uuid() }}"` used by a shared fixture).
    #[serde(default)]
    pub case_vars: OrderedMap<Spanned<String>, Spanned<Value>>,
    /// What waivers may do for this service (how many, which levels and results).
    #[serde(default)]
    pub waiver_policy: Option<crate::waiver::WaiverPolicy>,
    /// Environment variables (`{{ env.NAME }}`) whose values may be shown: every other one is
    /// masked as a secret.
    #[serde(default)]
    pub public_env: Vec<Spanned<String>>,
    /// What the mock portal knows of this service.
    #[serde(default)]
    pub portal: PortalConfig,
    /// Prefixes for XPath checks of XML answers: `soap: http://schemas.xmlsoap.org/soap/envelope/`.
    #[serde(default)]
    pub xml_namespaces: OrderedMap<String, String>,
    /// Checks that hold for every matching exchange of the run (also in `invariants.yaml`).
    #[serde(default)]
    pub invariants: Vec<Spanned<Invariant>>,
    /// The agency's API as an OpenAPI 3.0 or 3.1 document (YAML or JSON, in the suite): every
    /// answer can be judged against it (`conforms: openapi`), `cpc coverage` lists its
    /// operations × statuses, and `generate:` makes negative cases from its request schemas.
    #[serde(default)]
    pub openapi: Option<Spanned<String>>,
}

/// `invariants.yaml`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InvariantsDocument {
    pub invariants: Vec<Spanned<Invariant>>,
}

/// A check on every matching exchange of every case ("every 4xx/5xx answer is a JSON error
/// body", TP-2.2), traced to requirements like a case. A violation fails its requirements and
/// the case where it was seen; an invariant no exchange matched is "not exercised".
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Invariant {
    pub id: Spanned<String>,
    pub title_th: Option<String>,
    pub title_en: Option<String>,
    pub requirements: Vec<Spanned<String>>,
    #[serde(default)]
    pub when: InvariantWhen,
    /// The checks each matching exchange must pass.
    pub expect: Option<Expect>,
    /// `openapi`: each matching exchange must be what the suite's OpenAPI document says its
    /// operation answers (path, method, status, content type, body schema, required headers).
    pub conforms: Option<Spanned<String>>,
}

/// Which exchanges an invariant judges (all it gives must hold).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InvariantWhen {
    /// `agency`: the target's answers (by default); `portal`: the requests the agency sends to
    /// the mock portal (their `status` is the portal's answer).
    #[serde(default)]
    pub side: Side,
    pub status: Option<Spanned<StatusSpec>>,
    pub method: Option<Spanned<String>>,
    /// A regular expression the whole path matches (anchored at both ends; the query is not
    /// part of the path).
    pub path_matches: Option<Spanned<String>>,
    /// A predicate on the `Content-Type` header (absent: any).
    pub content_type: Option<Predicate>,
    /// Exchanges that match all of these are left out ("every answer except `/health`").
    pub not: Option<Box<ExchangeFilter>>,
}

/// What `not:` in an invariant's `when` leaves out: exchanges that match all it gives.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExchangeFilter {
    pub status: Option<Spanned<StatusSpec>>,
    pub method: Option<Spanned<String>>,
    pub path_matches: Option<Spanned<String>>,
    pub content_type: Option<Predicate>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    #[default]
    Agency,
    Portal,
}

/// What the suite tells the mock portal (its stubs are in `portal/mappings/`).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortalConfig {
    /// The agencies registered with the portal's gateway (TP-2.3): stubs with
    /// `metadata.cpc.consumer` accept only their credentials. Templated with suite variables.
    #[serde(default)]
    pub consumers: Vec<Spanned<ConsumerSpec>>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsumerSpec {
    pub agent_id: Option<String>,
    pub consumer_key: String,
    pub consumer_secret: Option<String>,
}

/// Variables every suite has without declaring them.
pub const BUILTIN_VARS: &[&str] = &["target", "portal_url"];

/// Applied to every request of the suite.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Defaults {
    #[serde(default)]
    pub headers: OrderedMap<Spanned<String>, Spanned<String>>,
    pub timeout_ms: Option<Spanned<u64>>,
}

/// A suite variable: a default, an environment variable that overrides it, and whether it is
/// a secret. `--var name=value` overrides both.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variable {
    /// Keeps its YAML type: `3000` is a number, and a `--var` for it must be one too.
    pub default: Option<Value>,
    pub env: Option<String>,
    #[serde(default)]
    pub secret: bool,
    pub description: Option<String>,
}

/// `requirements.yaml`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequirementsFile {
    pub requirements: Vec<Requirement>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Requirement {
    pub id: Spanned<String>,
    pub level: Level,
    pub text_th: String,
    pub text_en: Option<String>,
    /// Why no case tests this clause; a `must` clause not tested still fails the gate.
    pub not_tested_reason: Option<String>,
    /// `partial`: the cases test only part of the clause (say which in `coverage_reason_th`).
    pub coverage: Option<Spanned<Coverage>>,
    pub coverage_reason_th: Option<String>,
    pub coverage_reason_en: Option<String>,
    /// The digest of the proposal's clause text this requirement was written from
    /// (`cpc init` writes it): a proposal edited since is drift.
    pub proposal_digest: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Coverage {
    Full,
    Partial,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Must,
    Should,
}

/// The roles of the seed's service flow model.
pub const ACTORS: [&str; 3] = ["citizen", "staff", "admin"];

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ActorLabel {
    pub th: String,
    #[serde(default)]
    pub en: Option<String>,
}

/// Something the proposal reader could not read as a clause, and a person's reason why it is
/// not one.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SkippedItem {
    /// The clause id, or the place (`table 3`, `line 40`), as cpc names it.
    pub item: Spanned<String>,
    pub reason_th: String,
    #[serde(default)]
    pub reason_en: Option<String>,
}

/// The suite's technical proposal as read.
#[derive(Debug, Clone)]
pub struct LoadedProposal {
    pub path: PathBuf,
    /// Hex SHA-256 of the file.
    pub digest: String,
    pub parsed: crate::proposal::Proposal,
}

/// One `cases/*.yaml` file.
#[derive(Debug)]
pub struct CaseFile {
    pub path: PathBuf,
    pub cases: Vec<Spanned<Case>>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CasesDocument {
    #[serde(default)]
    pub cases: Vec<Spanned<Case>>,
    /// Cases made from a request schema, one per violation (expanded when the suite loads).
    #[serde(default)]
    pub generate: Vec<Spanned<GenerateSpec>>,
}

/// `generate:` — from a request schema and one valid request, one case per violation of the
/// schema (expecting `invalid`) and one per valid boundary (expecting `valid`). Each case is
/// `ID:POINTER:VIOLATION` (`CSG-GEN-SUBMIT:/applicant/first_name_th:missing`) and traces to
/// `requirements`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenerateSpec {
    pub id: Spanned<String>,
    pub title_th: String,
    pub title_en: Option<String>,
    pub requirements: Vec<Spanned<String>>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub actor: Option<Spanned<String>>,
    pub from: GenerateFrom,
    /// The valid request; its `json` is the body each case changes in one place.
    pub request: Spanned<RequestSpec>,
    /// What a request that breaks the schema gets (`status: 422` and the error body's checks).
    pub invalid: Expect,
    /// What a request at a valid boundary gets; without it, no boundary cases are made.
    pub valid: Option<Expect>,
    /// Members (JSON pointers in the body) not varied, with everything under them.
    #[serde(default)]
    pub skip: Vec<Spanned<String>>,
    /// More values per member from a seeded generator (the same seed, the same cases).
    pub random: Option<RandomSpec>,
}

/// Where the request schema is: exactly one of an operation of the suite's OpenAPI document
/// (`POST /applications`, its `application/json` request body) or a JSON Schema file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenerateFrom {
    pub operation: Option<Spanned<String>>,
    pub schema: Option<Spanned<String>>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RandomSpec {
    pub seed: u64,
    pub count: u32,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub id: Spanned<String>,
    pub title_th: String,
    pub title_en: Option<String>,
    pub requirements: Vec<Spanned<String>>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Evaluated once when the case starts, e.g. `citizen: "{{ citizen_id() }}"`. A value keeps
    /// its YAML type (`fee: 3000` is a number); strings in it are templates.
    #[serde(default)]
    pub vars: OrderedMap<Spanned<String>, Spanned<Value>>,
    /// Whose part of the service flow the case tests: `citizen`, `staff`, `admin`, or a role
    /// the suite defines under `actors:`. The report groups results by it.
    #[serde(default)]
    pub actor: Option<Spanned<String>>,
    /// Written down but not yet written (`cpc init`): it does not run, and its requirements
    /// are "not tested: case not written yet", so a half-written suite never passes.
    #[serde(default)]
    pub pending: bool,
    /// Runs with no other case beside it (a clause about the whole system: a rate limit, a
    /// restart), whatever `--jobs` says.
    #[serde(default)]
    pub exclusive: bool,
    #[serde(default)]
    pub steps: Vec<Spanned<Step>>,
    /// Made by a `generate:` block: what it varies.
    #[serde(skip)]
    pub generated: Option<crate::results::Generated>,
}

/// A step: exactly one kind (`request`, `poll`, `await` or `portal`), what to expect, and
/// what to capture.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub name: Option<String>,
    // Boxed: a step is one kind, and a suite of thousands of cases should not carry the
    // room of every kind in every step.
    pub request: Option<Box<Spanned<RequestSpec>>>,
    pub poll: Option<Box<Spanned<PollSpec>>>,
    #[serde(rename = "await")]
    pub await_: Option<Box<Spanned<AwaitSpec>>>,
    pub portal: Option<Box<Spanned<PortalSpec>>>,
    pub load: Option<Box<Spanned<LoadSpec>>>,
    /// Page along a list: repeat a request along the `next` link or cursor each page gives.
    pub follow: Option<Box<Spanned<FollowSpec>>>,
    /// Wait this long, doing nothing: `{ ms: 2000 }` or `{ seconds: "{{ retry_after }}" }`.
    pub wait: Option<Box<Spanned<WaitSpec>>>,
    /// The steps of a fragment (`fragments/*.yaml`), with `with` as its parameters.
    #[serde(rename = "use")]
    pub use_: Option<Spanned<String>>,
    #[serde(default)]
    pub with: OrderedMap<Spanned<String>, Spanned<Value>>,
    #[serde(default)]
    pub expect: Box<Expect>,
    #[serde(default)]
    pub capture: OrderedMap<Spanned<String>, Spanned<Capture>>,
    /// The file a step came from when it is not the case's own (a fragment's step).
    #[serde(skip)]
    pub origin: Option<std::sync::Arc<PathBuf>>,
}

/// A plain wait: a number or a template, in ms or seconds (exactly one).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaitSpec {
    pub ms: Option<Spanned<Scalar>>,
    pub seconds: Option<Spanned<Scalar>>,
}

/// A number written as a number or as a template (`"{{ retry_after }}"`).
#[derive(Clone, Debug)]
pub enum Scalar {
    Number(f64),
    Text(String),
}

/// `fragments/*.yaml`: named step lists a case uses with `use: name`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FragmentsDocument {
    pub fragments: Vec<Spanned<Fragment>>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fragment {
    pub name: Spanned<String>,
    /// The parameters a `use` must give in `with`; they are variables of the fragment's steps.
    #[serde(default)]
    pub params: Vec<Spanned<String>>,
    pub steps: Vec<Spanned<Step>>,
}

/// The kind of a step, once validated.
pub enum StepKind<'a> {
    Request(&'a Spanned<RequestSpec>),
    Poll(&'a Spanned<PollSpec>),
    Await(&'a Spanned<AwaitSpec>),
    Portal(&'a Spanned<PortalSpec>),
    Load(&'a Spanned<LoadSpec>),
    Follow(&'a Spanned<FollowSpec>),
    Wait(&'a Spanned<WaitSpec>),
    /// Sets the fragment's parameters; its steps follow (expanded when the suite loads).
    Use(&'a Spanned<String>),
}

impl StepKind<'_> {
    pub fn name(&self) -> &'static str {
        match self {
            StepKind::Request(_) => "request",
            StepKind::Poll(_) => "poll",
            StepKind::Await(_) => "await",
            StepKind::Portal(_) => "portal",
            StepKind::Load(_) => "load",
            StepKind::Follow(_) => "follow",
            StepKind::Wait(_) => "wait",
            StepKind::Use(_) => "use",
        }
    }
}

impl Step {
    /// `None` when the step names no kind or more than one (a validation error).
    pub fn kind(&self) -> Option<StepKind<'_>> {
        let mut kinds = [
            self.request.as_deref().map(StepKind::Request),
            self.poll.as_deref().map(StepKind::Poll),
            self.await_.as_deref().map(StepKind::Await),
            self.portal.as_deref().map(StepKind::Portal),
            self.load.as_deref().map(StepKind::Load),
            self.follow.as_deref().map(StepKind::Follow),
            self.wait.as_deref().map(StepKind::Wait),
            self.use_.as_ref().map(StepKind::Use),
        ]
        .into_iter()
        .flatten();
        match (kinds.next(), kinds.next()) {
            (Some(kind), None) => Some(kind),
            _ => None,
        }
    }

    /// The request the step sends (for a poll, the one it repeats).
    pub fn request_spec(&self) -> Option<&Spanned<RequestSpec>> {
        match self.kind()? {
            StepKind::Request(r) => Some(r),
            StepKind::Poll(p) => Some(&p.value.request),
            StepKind::Load(l) => Some(&l.value.request),
            StepKind::Follow(f) => Some(&f.value.request),
            _ => None,
        }
    }
}

/// Page along a list: the first `request`, then, while a page gives a `next` (a capture: a
/// `Link` relation, a URL or a cursor in the body), `next_request` (by default the same method
/// to `url: "{{ next }}"`), at most `max_pages` pages. The step's `expect` holds on every page;
/// `items` selects each page's items, and `union` judges them all together.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FollowSpec {
    pub request: Spanned<RequestSpec>,
    pub next: Spanned<Capture>,
    pub next_request: Option<Spanned<RequestSpec>>,
    #[serde(default = "default_max_pages")]
    pub max_pages: u32,
    /// A JSONPath selecting each page's items (`$.items[*]`).
    pub items: Option<Spanned<String>>,
    pub union: Option<UnionSpec>,
}

fn default_max_pages() -> u32 {
    100
}

/// Checks on the items of every page together.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnionSpec {
    /// Every item once: no two items have the same value here (a JSONPath into an item, `$`
    /// for the whole item).
    pub unique: Option<Spanned<String>>,
    /// The items are in order of this value.
    pub order: Option<OrderSpec>,
    /// A predicate on how many items there are (`{ equals: 120 }`, `{ equals: "{{ total }}" }`).
    pub count: Option<Predicate>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderSpec {
    /// A JSONPath into an item.
    pub by: Spanned<String>,
    #[serde(default)]
    pub descending: bool,
}

/// Wait for the agency to call the mock portal: requests in the journal that match `request`,
/// from the start of the case on, within `within_ms`. The step's `expect` is checked on every
/// matching request; `capture` reads the first.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AwaitSpec {
    pub request: Spanned<InboundFilter>,
    pub within_ms: u64,
    /// The window starts when this earlier step (by `name`) finished, not when the await
    /// starts: "within 10 s after the agency answered" (TP-6.1).
    pub since: Option<Spanned<String>>,
    /// How many matching requests; by default at least one.
    pub count: Option<Spanned<CountSpec>>,
    /// With `exactly` or `at_most`: how long to keep watching for extra requests once the count
    /// is reached, measured from that moment (not cut short by `within_ms`). Default 2000.
    pub quiet_ms: Option<u64>,
    /// The values at `path` of the matching requests arrive in this order (others may come
    /// between; a value repeated at once, a retry, counts once) (TP-6.2).
    pub sequence: Option<Spanned<SequenceSpec>>,
    /// `issued`: every matching request carries a `Token` the portal issued (TP-6.3).
    pub token: Option<TokenExpectation>,
    /// The gaps between consecutive matching requests, by arrival: each within `min`/`max`,
    /// and each at least `growth` times the one before (a back-off that doubles: `2`).
    pub gaps_ms: Option<Spanned<GapSpec>>,
    /// Every matching request carries the same body (a retry resends what it sent).
    #[serde(default)]
    pub same_body: bool,
    /// The matching requests arrive in order of this value of their JSON bodies.
    pub order: Option<OrderSpec>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GapSpec {
    pub min: Option<u64>,
    pub max: Option<u64>,
    pub growth: Option<f64>,
}

/// Which inbound requests an `await` is about.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InboundFilter {
    pub method: Spanned<String>,
    /// The exact path (templated).
    pub path: Option<Spanned<String>>,
    /// A regular expression over the whole path.
    pub path_matches: Option<Spanned<String>>,
    #[serde(default)]
    pub headers: OrderedMap<Spanned<String>, Predicate>,
    #[serde(default)]
    pub body: OrderedMap<Spanned<String>, Predicate>,
    /// Only requests the portal answered with this status.
    pub answered: Option<Spanned<StatusSpec>>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CountSpec {
    pub exactly: Option<usize>,
    pub at_least: Option<usize>,
    pub at_most: Option<usize>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SequenceSpec {
    pub path: String,
    pub values: Vec<Value>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenExpectation {
    Issued,
}

/// Change the mock portal's behaviour for the rest of the case.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortalSpec {
    pub respond: Spanned<PortalResponse>,
}

/// Answer matching requests differently: the next `times` of them, or all until the case ends.
/// A request matches by method and path, and, when given, by `when`: predicates on its
/// headers, query parameters and JSON body (as `await` filters).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortalResponse {
    pub method: String,
    /// The exact path (templated), e.g. `/api/v1/applications/{{ ref }}/status`.
    pub path: Spanned<String>,
    #[serde(default)]
    pub when: PortalWhen,
    pub times: Option<u32>,
    pub status: u16,
    pub delay_ms: Option<u64>,
    #[serde(default, deserialize_with = "present")]
    pub json: Option<Value>,
    pub body: Option<String>,
}

/// Which requests a `portal` answer is for, besides method and path.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortalWhen {
    #[serde(default)]
    pub headers: OrderedMap<Spanned<String>, Predicate>,
    #[serde(default)]
    pub query: OrderedMap<Spanned<String>, Predicate>,
    /// JSONPath predicates on the request's JSON body.
    #[serde(default)]
    pub body: OrderedMap<Spanned<String>, Predicate>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestSpec {
    pub method: Spanned<String>,
    /// Appended to `--target`.
    pub path: Option<Spanned<String>>,
    /// An absolute URL instead of `path`.
    pub url: Option<Box<Spanned<String>>>,
    #[serde(default)]
    pub query: OrderedMap<String, String>,
    /// `null` removes a suite default header.
    #[serde(default)]
    pub headers: OrderedMap<String, Option<String>>,
    /// Inline JSON, or `{ $file: path }` relative to the case file.
    #[serde(default, deserialize_with = "present")]
    pub json: Option<Box<Spanned<Value>>>,
    /// An RFC 7386 merge patch applied to `json` (inline or `{ $file: path }`): how a negative
    /// case says "the valid application, but with this field wrong or removed (`null`)".
    #[serde(default, deserialize_with = "present")]
    pub merge_patch: Option<Box<Spanned<Value>>>,
    /// RFC 6902 operations (`add`, `remove`, `replace`) applied to `json` after `merge_patch`:
    /// what a merge patch cannot say (a member set to `null`, an array item changed). Values
    /// are templated like `json`'s. Generated cases (`generate:`) are written this way.
    #[serde(default)]
    pub json_patch: Vec<PatchOp>,
    /// A raw text body (templated).
    pub body: Option<String>,
    /// A raw body read from a file, sent byte for byte (not templated, unless `template`).
    pub body_file: Option<Box<Spanned<String>>>,
    /// `body_file` is UTF-8 text with `{{ … }}` rendered afresh for each request.
    #[serde(default)]
    pub template: bool,
    /// A binary body given as base64 (templated, then decoded): bytes YAML cannot hold.
    pub body_base64: Option<String>,
    /// An `application/x-www-form-urlencoded` body: fields in order, values templated.
    pub form: Option<Box<Spanned<OrderedMap<String, String>>>>,
    /// A `multipart/form-data` body (RFC 7578): parts in order; cpc picks the boundary.
    pub multipart: Option<Box<Spanned<Vec<Spanned<Part>>>>>,
    pub content_type: Option<String>,
    /// Pads the body with trailing spaces to this many bytes (JSON stays valid): TP-4.6.
    pub pad_to_bytes: Option<u64>,
    pub timeout_ms: Option<u64>,
    /// The bytes of `body_file`, read at load time.
    #[serde(skip)]
    pub body_file_bytes: Option<std::sync::Arc<Vec<u8>>>,
}

/// One operation of an RFC 6902 JSON Patch.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PatchOp {
    pub op: PatchKind,
    /// A JSON pointer (RFC 6901): `/applicant/first_name_th`, `/attachments/0`.
    pub path: String,
    /// What `add` and `replace` put there (`null` too).
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub value: Option<Value>,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PatchKind {
    Add,
    Remove,
    Replace,
}

/// One part of a `multipart` body: its field name, an optional file name (UTF-8, Thai too) and
/// content type, and exactly one of a templated `text`, a templated `json` (inline or
/// `{ $file: … }`), a `file` sent byte for byte, or `base64` bytes.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Part {
    pub name: String,
    pub filename: Option<String>,
    pub content_type: Option<String>,
    pub text: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub json: Option<Box<Spanned<Value>>>,
    pub file: Option<Spanned<String>>,
    pub base64: Option<String>,
    /// The bytes of `file`, read at load time.
    #[serde(skip)]
    pub file_bytes: Option<std::sync::Arc<Vec<u8>>>,
}

/// Repeat a request until its checks pass or `within_ms` passes.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PollSpec {
    pub request: Spanned<RequestSpec>,
    #[serde(default = "default_interval")]
    pub interval_ms: u64,
    pub within_ms: u64,
    /// The window starts when this earlier step (by `name`) finished.
    pub since: Option<Spanned<String>>,
}

fn default_interval() -> u64 {
    500
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    // The rarer checks are boxed: every step carries an `Expect`, and a suite of thousands
    // of cases should not carry the room of every check in every step.
    pub status: Option<Spanned<StatusSpec>>,
    #[serde(default)]
    pub headers: OrderedMap<Spanned<String>, Predicate>,
    /// `true`: the body must be JSON.
    pub json: Option<bool>,
    pub schema: Option<Box<Spanned<SchemaRef>>>,
    #[serde(default)]
    pub body: OrderedMap<Spanned<String>, Predicate>,
    pub duration_ms: Option<DurationSpec>,
    /// The body as UTF-8 text (not UTF-8 is an error): `{ starts_with: "%PDF-" }`, …
    pub text: Option<Box<Spanned<Predicate>>>,
    /// The body's bytes: size, prefix, digests.
    pub bytes: Option<Box<Spanned<BytesSpec>>>,
    /// XPath → predicate, on an XML body.
    #[serde(default)]
    pub xml: OrderedMap<Spanned<String>, Predicate>,
    /// Load steps: latency percentiles over the successful answers, in ms.
    pub latency_ms: Option<LatencySpec>,
    /// Load steps: the share of requests that failed (transport error, or a status other
    /// than `status`, 2xx by default).
    pub error_rate: Option<RateSpec>,
    /// Load steps: successful answers per second.
    pub throughput_rps: Option<ThroughputSpec>,
    /// An HMAC-SHA256 signature of the body in a header, made with a secret the suite knows
    /// (a webhook's `X-Signature: sha256=…`).
    pub signature: Option<Box<Spanned<SignatureSpec>>>,
    /// A timestamp header within some seconds of when the message arrived (replay windows).
    pub timestamp: Option<Box<Spanned<TimestampSpec>>>,
    /// Load steps: how many answers had each status (a code or a class), e.g.
    /// `429: { exactly: 10 }`; `error` counts transport failures.
    pub statuses: Option<Box<OrderedMap<Spanned<String>, CountSpec>>>,
}

/// `signature`: the header holds HMAC-SHA256(secret, message + body), in hex or base64, after
/// an optional prefix (`sha256=`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignatureSpec {
    pub header: String,
    /// Templated: a suite secret (`{{ webhook_secret }}`).
    pub secret: String,
    /// Templated text signed before the body (`{{ answer.header('X-Timestamp') }}.`).
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub prefix: Option<String>,
    #[serde(default)]
    pub encoding: SignatureEncoding,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SignatureEncoding {
    #[default]
    Hex,
    Base64,
}

/// `timestamp`: the header's time is within `within_s` seconds of the message's arrival.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimestampSpec {
    pub header: String,
    pub within_s: u64,
    #[serde(default)]
    pub format: TimestampFormat,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimestampFormat {
    /// Seconds since the Unix epoch.
    #[default]
    Unix,
    UnixMs,
    Rfc3339,
}

/// Byte-level checks of a body (a PDF, an image …). Expected values are templated, so they may
/// come from the answer itself: `sha256: "{{ answer.header('X-Document-SHA256') }}"`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BytesSpec {
    /// Bytes in the body: `1024`, or `{ min, max }`.
    pub size: Option<LengthSpec>,
    /// The body starts with these bytes, written as text (`%PDF-`).
    pub prefix: Option<String>,
    /// The body starts with these bytes, written in hex (`255044462d`).
    pub prefix_hex: Option<String>,
    /// The body's SHA-256, hex (either case).
    pub sha256: Option<String>,
    /// The body's MD5, hex (either case).
    pub md5: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LatencySpec {
    pub p50: Option<u64>,
    pub p95: Option<u64>,
    pub p99: Option<u64>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateSpec {
    pub min: Option<f64>,
    pub max: Option<f64>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThroughputSpec {
    pub min: f64,
}

/// Many virtual users sending one templated request: `requests` in all, or for `duration_ms`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoadSpec {
    pub request: Spanned<RequestSpec>,
    pub users: usize,
    pub requests: Option<u64>,
    pub duration_ms: Option<u64>,
    /// Evaluated afresh for every request (e.g. `request_id: "{{ uuid() }}"`).
    #[serde(default)]
    pub fresh: OrderedMap<Spanned<String>, Spanned<String>>,
    /// A paced rate over all users, `50/s` or `600/min`: request n is sent at n / rate after
    /// the start (never sooner), so "50 requests a second are never refused" is tried as said.
    pub rate: Option<Spanned<Value>>,
}

/// A load's `rate` in requests per second: `50/s`, `600/min`, or a number (per second).
pub fn rate_per_second(rate: &Value) -> Result<f64, String> {
    let (number, per) = match rate {
        Value::Number(n) => (n.as_f64().unwrap_or(0.0), 1.0),
        Value::String(s) => {
            let (n, unit) = s.split_once('/').unwrap_or((s, "s"));
            let per = match unit.trim() {
                "s" | "sec" | "second" => 1.0,
                "min" | "minute" => 60.0,
                other => {
                    return Err(format!(
                        "`rate: {s}`: the unit is `/s` or `/min`, not `/{other}`"
                    ));
                }
            };
            let n: f64 = n.trim().parse().map_err(|_| {
                format!("`rate: {s}` is not a number of requests per second or minute")
            })?;
            (n, per)
        }
        other => {
            return Err(format!(
                "`rate: {other}` is `50/s`, `600/min` or a number per second"
            ));
        }
    };
    let per_second = number / per;
    if !(per_second.is_finite() && per_second > 0.0 && per_second <= 100_000.0) {
        return Err(format!(
            "`rate` is more than 0 and at most 100000 requests a second ({per_second} given)"
        ));
    }
    Ok(per_second)
}

/// A key of a load's `statuses`: which answers it counts (`None`: transport failures).
pub fn counted_status(key: &str) -> Result<Option<StatusSpec>, String> {
    let key = key.trim();
    if key == "error" {
        return Ok(None);
    }
    let spec = match key.parse::<u16>() {
        Ok(code) => StatusSpec::Code(code),
        Err(_) => StatusSpec::Class(key.to_string()),
    };
    match spec.problem() {
        Some(problem) => Err(problem),
        None => Ok(Some(spec)),
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum StatusSpec {
    Code(u16),
    /// Codes or classes: `[200, 201]`, `[4xx, 5xx]`.
    List(Vec<StatusSpec>),
    /// `2xx`, `4xx`, …
    Class(String),
}

#[derive(Clone, Debug)]
pub enum SchemaRef {
    /// A file under the suite's `schemas/`, relative to the suite directory.
    File(String),
    Inline(Value),
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DurationSpec {
    pub max: u64,
}

/// What a JSONPath (or header, or text) must satisfy; every predicate given must hold.
/// Serialized without the ones not given (a portal override carries its predicates).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Predicate {
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub equals: Option<Value>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub not_equals: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matches: Option<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exists: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub absent: Option<bool>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub type_: Option<JsonType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub one_of: Option<Vec<Value>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub contains: Option<Value>,
    /// A string's characters, an array's items or an object's keys: `5` or `{ min, max }`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<LengthSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thai_citizen_id: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starts_with: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ends_with: Option<String>,
    /// Each item of an array meets these predicates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub every: Option<Box<Predicate>>,
    /// An array's items are all different (`true`), or a field of its items is (`$.id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unique: Option<Unique>,
    /// Holds Thai script, and no U+FFFD or mojibake (UTF-8 read as Latin-1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thai_text: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<Format>,
    /// These predicates do not all hold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not: Option<Box<Predicate>>,
    /// An RFC 3339 time at or after this one (templated, e.g. `{{ finished_at('pay') }}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// An RFC 3339 time at or before this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum LengthSpec {
    Exactly(usize),
    Range {
        #[serde(default)]
        min: Option<usize>,
        #[serde(default)]
        max: Option<usize>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Unique {
    Items(bool),
    /// A JSONPath into each item: `$.id`.
    Field(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// RFC 3339 with a required offset (`Z` or `+07:00`).
    DateTime,
    /// `YYYY-MM-DD`, a real date.
    Date,
    Uuid,
    Email,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum JsonType {
    String,
    Number,
    Integer,
    Boolean,
    Array,
    Object,
    Null,
}

/// `name: $.path` or `name: { json: $.path | header: Name | xml: /x/y | body: true |
/// link: next, regex: '…', optional: true, secret: true }`.
#[derive(Clone, Debug)]
pub enum Capture {
    Path(String),
    Full(CaptureFrom),
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaptureFrom {
    pub json: Option<String>,
    pub header: Option<String>,
    /// An XPath into an XML body.
    pub xml: Option<String>,
    /// The raw body, as text.
    #[serde(default)]
    pub body: bool,
    /// The target of the `Link` header's link with this relation (RFC 8288): `next`.
    pub link: Option<String>,
    /// A regular expression on the value taken: its group named `value`, else its first
    /// group, else the whole match.
    pub regex: Option<Spanned<String>>,
    /// Nothing to take is no error: the variable is then `null` (a last page has no `next`).
    #[serde(default)]
    pub optional: bool,
    /// A JSONPath's nodes always as a list, however many (by default one node is that node,
    /// and several a list).
    #[serde(default)]
    pub all: bool,
    #[serde(default)]
    pub secret: bool,
}

/// Keeps an explicit `null` (`equals: null`) apart from an absent key.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

#[cfg(test)]
mod rate_tests {
    use super::*;

    #[test]
    fn rates_and_counted_statuses_read_as_written() {
        assert_eq!(rate_per_second(&Value::from("50/s")), Ok(50.0));
        assert_eq!(rate_per_second(&Value::from("600/min")), Ok(10.0));
        assert_eq!(rate_per_second(&Value::from(2.5)), Ok(2.5));
        for bad in [
            Value::from("0/s"),
            Value::from("5/h"),
            Value::from("x/s"),
            Value::Null,
        ] {
            assert!(rate_per_second(&bad).is_err(), "{bad}");
        }
        assert!(counted_status("error").unwrap().is_none());
        assert!(counted_status("429").unwrap().unwrap().accepts(429));
        assert!(counted_status("4xx").unwrap().unwrap().accepts(404));
        assert!(counted_status("7xx").is_err());
    }
}
