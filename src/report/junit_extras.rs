//! What junit-report cannot write, added to the document it built: Surefire's `<properties>` of
//! the test suite and of a test case (a requirement tested only in part), read by Jenkins and
//! GitLab. The document is read event by event and written again with these inserted, so
//! everything junit-report wrote (and escaped) stays as it was.

use std::collections::BTreeMap;
use std::io::Cursor;

use quick_xml::events::{BytesEnd, BytesStart, Event};
use quick_xml::{Reader, Writer};

use super::escape::xml_text;

/// Properties to add: the suite's, and each test case's by its `name`.
#[derive(Default)]
pub struct Extras {
    pub suite: Vec<(String, String)>,
    pub cases: BTreeMap<String, Vec<(String, String)>>,
}

fn fail(e: impl std::fmt::Display) -> String {
    e.to_string()
}

fn properties<W: std::io::Write>(
    w: &mut Writer<W>,
    list: &[(String, String)],
) -> std::io::Result<()> {
    if list.is_empty() {
        return Ok(());
    }
    w.write_event(Event::Start(BytesStart::new("properties")))?;
    for (name, value) in list {
        let mut property = BytesStart::new("property");
        property.push_attribute(("name", xml_text(name).as_str()));
        property.push_attribute(("value", xml_text(value).as_str()));
        w.write_event(Event::Empty(property))?;
    }
    w.write_event(Event::End(BytesEnd::new("properties")))?;
    Ok(())
}

fn name_of(element: &BytesStart) -> String {
    element
        .attributes()
        .flatten()
        .find(|a| a.key.as_ref() == b"name")
        .and_then(|a| a.normalized_value(quick_xml::XmlVersion::Implicit1_0).ok())
        .map(|v| v.into_owned())
        .unwrap_or_default()
}

pub fn insert(xml: &str, extras: &Extras) -> Result<String, String> {
    if extras.suite.is_empty() && extras.cases.is_empty() {
        return Ok(xml.to_string());
    }
    let mut reader = Reader::from_str(xml);
    let mut writer = Writer::new(Cursor::new(Vec::new()));
    loop {
        let event = reader.read_event().map_err(|e| e.to_string())?;
        match event {
            Event::Eof => break,
            Event::Start(e) if e.name().as_ref() == b"testsuite" => {
                writer.write_event(Event::Start(e)).map_err(fail)?;
                properties(&mut writer, &extras.suite).map_err(fail)?;
            }
            Event::Start(e) if e.name().as_ref() == b"testcase" => {
                let list = extras.cases.get(&name_of(&e)).cloned().unwrap_or_default();
                writer.write_event(Event::Start(e)).map_err(fail)?;
                properties(&mut writer, &list).map_err(fail)?;
            }
            Event::Empty(e) if e.name().as_ref() == b"testcase" => {
                match extras.cases.get(&name_of(&e)) {
                    Some(list) if !list.is_empty() => {
                        writer.write_event(Event::Start(e)).map_err(fail)?;
                        properties(&mut writer, list).map_err(fail)?;
                        writer
                            .write_event(Event::End(BytesEnd::new("testcase")))
                            .map_err(fail)?;
                    }
                    _ => writer.write_event(Event::Empty(e)).map_err(fail)?,
                }
            }
            other => writer.write_event(other).map_err(fail)?,
        }
    }
    String::from_utf8(writer.into_inner().into_inner()).map_err(|e| e.to_string())
}
