//! Building multi-row SQL statements: one statement for many rows is one
//! round trip to the database instead of many.

/// Rows per multi-row statement (at most 13 parameters a row: well under
/// SQLite's and PostgreSQL's parameter limits).
pub(crate) const ROWS_PER_INSERT: usize = 100;

/// `($1, ..., $k), ($k+1, ...), ...`: `rows` groups of `cols` placeholders,
/// each group ending with `literal_tail` (e.g. `, 'active'`).
pub(crate) fn placeholders(rows: usize, cols: usize, literal_tail: &str) -> String {
    let mut out = String::new();
    for r in 0..rows {
        if r > 0 {
            out.push_str(", ");
        }
        out.push('(');
        out.push_str(&list(1 + r * cols, cols));
        out.push_str(literal_tail);
        out.push(')');
    }
    out
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
        assert_eq!(placeholders(2, 2, ""), "($1, $2), ($3, $4)");
        assert_eq!(placeholders(1, 2, ", 'x'"), "($1, $2, 'x')");
        assert_eq!(list(3, 3), "$3, $4, $5");
    }
}
