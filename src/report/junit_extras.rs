//! What junit-report cannot write, added to the document it built, in Surefire's format that
//! Jenkins and GitLab read: `<properties>` of the test suite and of a test case (a requirement
//! tested only in part), and a test case's earlier runs (`--rerun-failed`): `<flakyFailure>` /
//! `<flakyError>` in a case that passed at last, `<rerunFailure>` / `<rerunError>` in one that
//! never did. The document is read event by event and written again with these inserted, so
//! everything junit-report wrote (and escaped) stays as it was.

use std::collections::BTreeMap;
use std::io::Cursor;

use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};
use quick_xml::{Reader, Writer};

use super::escape::xml_text;

/// What to add: the suite's properties, and each test case's extras by its `name`.
#[derive(Default)]
pub struct Extras {
    pub suite: Vec<(String, String)>,
    pub cases: BTreeMap<String, CaseExtras>,
}

#[derive(Clone, Default)]
pub struct CaseExtras {
    pub properties: Vec<(String, String)>,
    pub reruns: Vec<Rerun>,
}

/// An earlier run of a test case that did not pass.
#[derive(Clone)]
pub struct Rerun {
    /// `flakyFailure`, `flakyError`, `rerunFailure` or `rerunError`.
    pub element: &'static str,
    pub message: String,
    pub kind: String,
    /// What failed, one problem per line (Surefire's `<stackTrace>`).
    pub problems: String,
    /// The exchanges of that run.
    pub system_out: String,
}

fn text_element<W: std::io::Write>(
    w: &mut Writer<W>,
    name: &str,
    text: &str,
) -> std::io::Result<()> {
    if text.is_empty() {
        return Ok(());
    }
    w.write_event(Event::Start(BytesStart::new(name)))?;
    // Escaped as text, never CDATA: nothing the target sent can close it.
    w.write_event(Event::Text(BytesText::new(&xml_text(text))))?;
    w.write_event(Event::End(BytesEnd::new(name)))?;
    Ok(())
}

fn reruns<W: std::io::Write>(w: &mut Writer<W>, list: &[Rerun]) -> std::io::Result<()> {
    for rerun in list {
        let mut start = BytesStart::new(rerun.element);
        start.push_attribute(("message", xml_text(&rerun.message).as_str()));
        start.push_attribute(("type", xml_text(&rerun.kind).as_str()));
        w.write_event(Event::Start(start))?;
        text_element(w, "stackTrace", &rerun.problems)?;
        text_element(w, "system-out", &rerun.system_out)?;
        w.write_event(Event::End(BytesEnd::new(rerun.element)))?;
    }
    Ok(())
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
    let none = CaseExtras::default();
    // The extras of the test case being written.
    let mut current = &none;
    loop {
        let event = reader.read_event().map_err(|e| e.to_string())?;
        match event {
            Event::Eof => break,
            Event::Start(e) if e.name().as_ref() == b"testsuite" => {
                writer.write_event(Event::Start(e)).map_err(fail)?;
                properties(&mut writer, &extras.suite).map_err(fail)?;
            }
            Event::Start(e) if e.name().as_ref() == b"testcase" => {
                current = extras.cases.get(&name_of(&e)).unwrap_or(&none);
                writer.write_event(Event::Start(e)).map_err(fail)?;
                properties(&mut writer, &current.properties).map_err(fail)?;
            }
            Event::End(e) if e.name().as_ref() == b"testcase" => {
                reruns(&mut writer, &current.reruns).map_err(fail)?;
                writer.write_event(Event::End(e)).map_err(fail)?;
                current = &none;
            }
            Event::Empty(e) if e.name().as_ref() == b"testcase" => {
                match extras.cases.get(&name_of(&e)) {
                    Some(more) => {
                        writer.write_event(Event::Start(e)).map_err(fail)?;
                        properties(&mut writer, &more.properties).map_err(fail)?;
                        reruns(&mut writer, &more.reruns).map_err(fail)?;
                        writer
                            .write_event(Event::End(BytesEnd::new("testcase")))
                            .map_err(fail)?;
                    }
                    None => writer.write_event(Event::Empty(e)).map_err(fail)?,
                }
            }
            other => writer.write_event(other).map_err(fail)?,
        }
    }
    String::from_utf8(writer.into_inner().into_inner()).map_err(|e| e.to_string())
}
