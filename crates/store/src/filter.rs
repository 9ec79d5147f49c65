//! A WHERE clause built from optional filters, with every value bound as a parameter.

use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::{Any, AssertSqlSafe};

/// `SELECT … WHERE 1 = 1 AND …` with `$n` placeholders numbered as conditions are added.
pub(crate) struct Filtered {
    sql: String,
    binds: Vec<String>,
}

impl Filtered {
    pub(crate) fn new(select: &str) -> Self {
        Self {
            sql: format!("{select} WHERE 1 = 1"),
            binds: Vec::new(),
        }
    }

    /// Binds the value of a `$1` written in the SELECT itself; call it before any condition.
    pub(crate) fn bind_first(&mut self, value: String) -> &mut Self {
        self.binds.push(value);
        self
    }

    fn placeholder(&mut self, value: String) -> String {
        self.binds.push(value);
        format!("${}", self.binds.len())
    }

    /// Adds ` AND <clause>` where each `?` in `clause` takes the next of `values`.
    pub(crate) fn and(
        &mut self,
        clause: &str,
        values: impl IntoIterator<Item = String>,
    ) -> &mut Self {
        let mut values = values.into_iter();
        let mut text = String::from(" AND ");
        for (i, part) in clause.split('?').enumerate() {
            if i > 0 {
                let p = self.placeholder(values.next().unwrap_or_default());
                text.push_str(&p);
            }
            text.push_str(part);
        }
        self.sql.push_str(&text);
        self
    }

    /// Appends SQL text with no values (the joints of a compound query); `text` must come from
    /// the program, never from input.
    pub(crate) fn push_sql(&mut self, text: &str) -> &mut Self {
        self.sql.push_str(text);
        self
    }

    /// Adds ` AND <column> IN (…)` over `values`; nothing when `values` is empty.
    pub(crate) fn and_in(&mut self, column: &str, values: &[String]) -> &mut Self {
        if !values.is_empty() {
            let list: Vec<String> = values.iter().map(|v| self.placeholder(v.clone())).collect();
            self.sql
                .push_str(&format!(" AND {column} IN ({})", list.join(", ")));
        }
        self
    }

    /// The query inside `head … tail` (an aggregate over it), with every value bound.
    pub(crate) fn wrap(self, head: &str, tail: &str) -> Query<'static, Any, AnyArguments> {
        let mut query = sqlx::query(AssertSqlSafe(format!("{head}{}{tail}", self.sql)));
        for b in self.binds {
            query = query.bind(b);
        }
        query
    }

    /// The query with `tail` (ORDER BY, LIMIT) appended and every value bound.
    pub(crate) fn query(self, tail: &str) -> Query<'static, Any, AnyArguments> {
        let mut query = sqlx::query(AssertSqlSafe(format!("{}{tail}", self.sql)));
        for b in self.binds {
            query = query.bind(b);
        }
        query
    }
}
