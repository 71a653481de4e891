//! Building multi-row SQL statements: one statement for many rows is one
//! round trip to the database instead of many.

/// Rows per multi-row statement (at most 13 parameters a row: well under
/// SQLite's and PostgreSQL's parameter limits).
pub(crate) const ROWS_PER_INSERT: usize = 100;

/// How a connection's SQL numbers its parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// `$1, $2, ...` (PostgreSQL; SQLite accepts it too).
    Numbered,
    /// `?, ?, ...` bound in order (SQLite). Binding numbered parameters costs
    /// time quadratic in their number with SQLite (sqlx looks each one's name
    /// up and SQLite finds a name by a linear search); anonymous ones have no
    /// name to look up.
    Anonymous,
}

impl Dialect {
    /// The dialect for `conn`'s database: anonymous for SQLite, numbered otherwise.
    pub(crate) fn of(conn: &sqlx::AnyConnection) -> Dialect {
        if conn.backend_name().eq_ignore_ascii_case("sqlite") {
            Dialect::Anonymous
        } else {
            Dialect::Numbered
        }
    }
}

/// `($1, ..., $k), ($k+1, ...), ...` (numbered) or `(?, ...), (?, ...), ...`
/// (anonymous): `rows` groups of `cols` placeholders, each group ending with
/// `literal_tail` (e.g. `, 'active'`).
pub(crate) fn placeholders(
    dialect: Dialect,
    rows: usize,
    cols: usize,
    literal_tail: &str,
) -> String {
    let mut out = String::new();
    for r in 0..rows {
        if r > 0 {
            out.push_str(", ");
        }
        out.push('(');
        match dialect {
            Dialect::Numbered => out.push_str(&list(1 + r * cols, cols)),
            Dialect::Anonymous => out.push_str(&vec!["?"; cols].join(", ")),
        }
        out.push_str(literal_tail);
        out.push(')');
    }
    out
}

/// Statement sizes (rows) used by [`cached_chunks`], largest first.
const CACHED_SIZES: [usize; 4] = [64, 16, 4, 1];

/// Splits `rows` into chunks whose sizes come from a fixed small set (64, 16,
/// 4 and 1 rows; greedily, largest first), so that statements built per chunk
/// have few distinct texts and stay in the connection's prepared-statement
/// cache however the row counts vary (a group commit's rows vary with the
/// load). At most 3 chunks of each smaller size follow the 64-row ones.
pub(crate) fn cached_chunks<T>(rows: &[T]) -> Vec<&[T]> {
    let mut out = Vec::new();
    let mut rest = rows;
    for size in CACHED_SIZES {
        while rest.len() >= size {
            let (head, tail) = rest.split_at(size);
            out.push(head);
            rest = tail;
        }
    }
    out
}

/// A multi-row `INSERT` whose texts for the [`cached_chunks`] sizes are built once
/// per dialect (a group commit runs them many times a second) and any other size
/// on demand.
pub(crate) struct CachedInsert {
    /// The statement up to `VALUES `.
    head: &'static str,
    /// Placeholders per row.
    cols: usize,
    /// Literal appended to each row's placeholders (see [`placeholders`]).
    tail: &'static str,
    /// Texts of the cached sizes: numbered, anonymous.
    texts: [std::sync::OnceLock<Vec<String>>; 2],
}

impl CachedInsert {
    /// An insert of rows of `cols` placeholders (each followed by `tail`) after `head`.
    pub(crate) const fn new(head: &'static str, cols: usize, tail: &'static str) -> Self {
        CachedInsert {
            head,
            cols,
            tail,
            texts: [std::sync::OnceLock::new(), std::sync::OnceLock::new()],
        }
    }

    /// The statement for `rows` rows in `dialect`.
    pub(crate) fn sql(&self, dialect: Dialect, rows: usize) -> std::borrow::Cow<'_, str> {
        let build = |n: usize| {
            let values = placeholders(dialect, n, self.cols, self.tail);
            format!("{}{values}", self.head)
        };
        let texts = self.texts[dialect as usize]
            .get_or_init(|| CACHED_SIZES.iter().map(|&n| build(n)).collect());
        match CACHED_SIZES.iter().position(|&n| n == rows) {
            Some(i) => std::borrow::Cow::Borrowed(&texts[i]),
            None => std::borrow::Cow::Owned(build(rows)),
        }
    }
}

/// `$first, $first+1, ...`: `n` placeholders for an `IN (...)` list.
pub(crate) fn list(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbering() {
        assert_eq!(
            placeholders(Dialect::Numbered, 2, 2, ""),
            "($1, $2), ($3, $4)"
        );
        assert_eq!(
            placeholders(Dialect::Numbered, 1, 2, ", 'x'"),
            "($1, $2, 'x')"
        );
        assert_eq!(list(3, 3), "$3, $4, $5");
        assert_eq!(
            placeholders(Dialect::Anonymous, 2, 2, ", 'x'"),
            "(?, ?, 'x'), (?, ?, 'x')"
        );
    }

    #[test]
    fn cached_inserts_equal_the_built_statements() {
        static INSERT: CachedInsert = CachedInsert::new("INSERT INTO t (a, b) VALUES ", 2, "");
        for dialect in [Dialect::Numbered, Dialect::Anonymous] {
            for rows in [1, 3, 4, 16, 17, 64] {
                assert_eq!(
                    INSERT.sql(dialect, rows),
                    format!(
                        "INSERT INTO t (a, b) VALUES {}",
                        placeholders(dialect, rows, 2, "")
                    )
                );
            }
        }
    }

    #[test]
    fn cached_chunks_cover_every_row_once_in_order_with_few_sizes() {
        for n in 0..300usize {
            let rows: Vec<usize> = (0..n).collect();
            let chunks = cached_chunks(&rows);
            let flat: Vec<usize> = chunks.iter().flat_map(|c| c.iter().copied()).collect();
            assert_eq!(flat, rows, "n {n}");
            assert!(chunks.iter().all(|c| CACHED_SIZES.contains(&c.len())));
            for size in [16, 4, 1] {
                assert!(
                    chunks.iter().filter(|c| c.len() == size).count() <= 3,
                    "n {n}"
                );
            }
        }
    }
}
