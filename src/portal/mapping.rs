//! WireMock's JSON stub mapping format, the supported subset. The same files load in WireMock
//! itself; a key outside the subset is an error naming the file and the key, never ignored.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `{"mappings": [...]}`: a file of several mappings (a file may also hold one mapping).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MappingList {
    pub mappings: Vec<Mapping>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Mapping {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// 1 is the highest; WireMock's default is 5.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<u8>,
    pub request: RequestPattern,
    pub response: ResponseDefinition,
    /// Free-form in WireMock; cpc reads only its own `cpc` key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RequestPattern {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Path and query, exactly.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The path, exactly.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url_path: Option<String>,
    /// A regular expression over the whole path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url_path_pattern: Option<String>,
    /// A regular expression over the whole path and query.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url_pattern: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub query_parameters: BTreeMap<String, ValuePattern>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, ValuePattern>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub body_patterns: Vec<BodyPattern>,
}

/// One of WireMock's string matchers.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub enum ValuePattern {
    EqualTo(String),
    Matches(String),
    Contains(String),
    Absent(bool),
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub enum BodyPattern {
    EqualToJson(Value),
    MatchesJsonPath(String),
    Contains(String),
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ResponseDefinition {
    #[serde(default = "ok")]
    pub status: u16,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub json_body: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// A file under `__files/`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_file_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fixed_delay_milliseconds: Option<u64>,
    /// `["response-template"]` turns on templating, as in WireMock.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub transformers: Vec<String>,
}

fn ok() -> u16 {
    200
}

/// `metadata`: anything, of which cpc reads `cpc`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct Metadata {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpc: Option<CpcExtension>,
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

/// What the portal does beyond WireMock, kept in WireMock's free-form `metadata`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CpcExtension {
    /// The answer issues a token found at this JSONPath of the response body (TP-2.3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issues_token: Option<String>,
    /// The stub matches only when this header carries (or does not carry) an issued token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<TokenRule>,
    /// The stub matches only when the request carries the credentials of one of the consumers
    /// the suite registers with the portal (`suite.yaml`, `portal.consumers`), each field found
    /// where this says (TP-2.3: `Consumer-Key` header, `ConsumerSecret` and `AgentID` query).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub consumer: BTreeMap<ConsumerField, Carried>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TokenRule {
    pub header: String,
    /// The token follows this scheme word in the header (`Authorization: Bearer <token>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheme: Option<String>,
    pub is: TokenState,
}

impl TokenRule {
    /// The token a header value carries under this rule's scheme.
    pub fn token<'a>(&self, value: &'a str) -> Option<&'a str> {
        match &self.scheme {
            None => Some(value.trim()),
            Some(scheme) => {
                let (word, token) = value.trim().split_once(' ')?;
                word.eq_ignore_ascii_case(scheme).then(|| token.trim())
            }
        }
    }
}

/// A field of a consumer's registration at the portal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsumerField {
    AgentId,
    ConsumerKey,
    ConsumerSecret,
}

/// Where a request carries a value: a header, or a query parameter.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub enum Carried {
    Header(String),
    Query(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenState {
    Issued,
    NotIssued,
}

impl Mapping {
    pub fn cpc(&self) -> Option<&CpcExtension> {
        self.metadata.as_ref().and_then(|m| m.cpc.as_ref())
    }

    pub fn templated(&self) -> bool {
        self.response
            .transformers
            .iter()
            .any(|t| t == "response-template")
    }

    /// How the mapping is named in the journal and in messages.
    pub fn label(&self) -> String {
        self.name
            .clone()
            .or_else(|| self.id.clone())
            .unwrap_or_else(|| "(unnamed stub)".into())
    }
}
