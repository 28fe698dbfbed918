//! One catalog for user-facing words: console, JUnit and reports say the same thing,
//! Thai first with English available.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Th,
    En,
}

/// A message in both languages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Text {
    pub th: String,
    pub en: String,
}

impl Text {
    pub fn new(th: impl Into<String>, en: impl Into<String>) -> Self {
        Self {
            th: th.into(),
            en: en.into(),
        }
    }

    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Th => &self.th,
            Lang::En => &self.en,
        }
    }
}

/// Builds a `Text` from two format strings sharing arguments.
#[macro_export]
macro_rules! text {
    ($th:literal, $en:literal $(, $arg:expr)* $(,)?) => {
        $crate::i18n::Text::new(format!($th $(, $arg)*), format!($en $(, $arg)*))
    };
}

/// Words that label outcomes and summaries.
pub fn word(lang: Lang, key: Word) -> &'static str {
    use Word::*;
    match (lang, key) {
        (Lang::Th, Pass) => "ผ่าน",
        (Lang::En, Pass) => "pass",
        (Lang::Th, Fail) => "ไม่ผ่าน",
        (Lang::En, Fail) => "fail",
        (Lang::Th, Error) => "ผิดพลาด",
        (Lang::En, Error) => "error",
        (Lang::Th, Interrupted) => "ถูกขัดจังหวะ",
        (Lang::En, Interrupted) => "interrupted",
        (Lang::Th, NotRun) => "ไม่ได้ทดสอบ",
        (Lang::En, NotRun) => "not run",
        (Lang::Th, NotTested) => "ไม่ได้ทดสอบ (มีเหตุผล)",
        (Lang::En, NotTested) => "not tested",
        (Lang::Th, Flaky) => "ไม่เสถียร",
        (Lang::En, Flaky) => "flaky",
    }
}

#[derive(Clone, Copy, Debug)]
pub enum Word {
    Pass,
    Fail,
    Error,
    Interrupted,
    NotRun,
    NotTested,
    Flaky,
}
