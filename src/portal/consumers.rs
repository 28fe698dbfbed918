//! The consumers a suite registers with the portal's gateway (TP-2.3): the agencies' agent id,
//! Consumer-Key and ConsumerSecret. Stubs that say `metadata.cpc.consumer` match only requests
//! carrying one consumer's credentials, so the common token stub serves every service with the
//! credentials each suite supplies.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use wiremock::Request;

use super::mapping::{Carried, ConsumerField};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consumer {
    pub agent_id: Option<String>,
    pub consumer_key: String,
    pub consumer_secret: Option<String>,
}

impl Consumer {
    fn field(&self, field: ConsumerField) -> Option<&str> {
        match field {
            ConsumerField::AgentId => self.agent_id.as_deref(),
            ConsumerField::ConsumerKey => Some(&self.consumer_key),
            ConsumerField::ConsumerSecret => self.consumer_secret.as_deref(),
        }
    }
}

/// The value a request carries where `carried` says.
pub fn carried(req: &Request, carried: &Carried) -> Option<String> {
    match carried {
        Carried::Header(name) => req
            .headers
            .get(name.as_str())
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        Carried::Query(name) => req
            .url
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned()),
    }
}

/// Whether the request carries every field the rule names, all of one registered consumer.
pub fn presented(
    rule: &BTreeMap<ConsumerField, Carried>,
    consumers: &[Consumer],
    req: &Request,
) -> bool {
    let given: Vec<(ConsumerField, Option<String>)> = rule
        .iter()
        .map(|(field, at)| (*field, carried(req, at)))
        .collect();
    consumers.iter().any(|c| {
        given
            .iter()
            .all(|(field, value)| value.is_some() && c.field(*field) == value.as_deref())
    })
}
