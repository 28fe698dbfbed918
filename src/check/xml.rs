//! XPath 1.0 on XML bodies (older agency systems answer SOAP/XML). The parser reads no DTD, so a
//! hostile body cannot expand entities or reach files.

use serde_json::Value;

/// The nodes (or the one value) an XPath selects in an XML text: a node-set gives each node's
/// string value; a number, string or boolean gives itself.
pub fn select(
    xml: &str,
    xpath: &str,
    namespaces: &[(String, String)],
) -> Result<Vec<Value>, String> {
    let package =
        sxd_document::parser::parse(xml).map_err(|e| format!("the body is not XML ({e:?})"))?;
    let document = package.as_document();
    let compiled = compile(xpath)?;
    let mut context = sxd_xpath::Context::new();
    for (prefix, uri) in namespaces {
        context.set_namespace(prefix, uri);
    }
    let value = compiled
        .evaluate(&context, document.root())
        .map_err(|e| format!("XPath `{xpath}`: {e}"))?;
    Ok(match value {
        sxd_xpath::Value::Nodeset(nodes) => nodes
            .document_order()
            .iter()
            .map(|n| Value::String(n.string_value()))
            .collect(),
        sxd_xpath::Value::Boolean(b) => vec![Value::Bool(b)],
        sxd_xpath::Value::Number(n) => {
            vec![serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number)]
        }
        sxd_xpath::Value::String(s) => vec![Value::String(s)],
    })
}

/// Parses an XPath (validate reports what does not parse).
pub fn compile(xpath: &str) -> Result<sxd_xpath::XPath, String> {
    sxd_xpath::Factory::new()
        .build(xpath)
        .map_err(|e| format!("invalid XPath `{xpath}`: {e}"))?
        .ok_or_else(|| format!("invalid XPath `{xpath}`: it is empty"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SOAP: &str = r#"<?xml version="1.0"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
  <soap:Body><Result code="0"><Status>สำเร็จ</Status><Item>a</Item><Item>b</Item></Result></soap:Body>
</soap:Envelope>"#;

    #[test]
    fn selects_nodes_and_values_with_namespaces() {
        let ns = vec![(
            "s".to_string(),
            "http://schemas.xmlsoap.org/soap/envelope/".to_string(),
        )];
        assert_eq!(select(SOAP, "//Status", &ns).unwrap(), vec![json!("สำเร็จ")]);
        assert_eq!(
            select(SOAP, "/s:Envelope/s:Body/Result/@code", &ns).unwrap(),
            vec![json!("0")]
        );
        assert_eq!(
            select(SOAP, "count(//Item)", &ns).unwrap(),
            vec![json!(2.0)]
        );
        assert_eq!(
            select(SOAP, "//Item", &ns).unwrap(),
            vec![json!("a"), json!("b")]
        );
        assert!(select(SOAP, "//Missing", &ns).unwrap().is_empty());
    }

    #[test]
    fn entities_and_broken_xml_are_errors() {
        let bomb = r#"<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "xx">]><a>&x;</a>"#;
        assert!(select(bomb, "/a", &[]).is_err());
        assert!(select("{\"json\": 1}", "/a", &[]).is_err());
        assert!(compile("//[").is_err());
    }
}
