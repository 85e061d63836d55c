//! The `filter` of List calls (a subset of AIP-160): comparisons joined by `AND`.
//!
//! ```text
//! filter     = comparison { "AND" comparison }
//! comparison = field operator value
//! operator   = "=" | "!=" | "<" | "<=" | ">" | ">="
//! value      = "quoted string" | bare-word
//! ```
//!
//! Each List call names the fields it filters on and the operators each takes ([`Field`]); an
//! unknown field, an operator the field does not take, or bad syntax is an error that says which
//! and where, for INVALID_ARGUMENT on `filter`.

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Op {
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
        }
    }

    /// The operator as SQL writes it.
    pub fn sql(self) -> &'static str {
        match self {
            Op::Ne => "<>",
            other => other.as_str(),
        }
    }
}

/// Equality only.
pub const EQUALITY: &[Op] = &[Op::Eq, Op::Ne];
/// Every comparison, for ordered values such as dates and numbers.
pub const ORDERED: &[Op] = &[Op::Eq, Op::Ne, Op::Lt, Op::Le, Op::Gt, Op::Ge];

/// A field a List call filters on, and the operators it takes.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub ops: &'static [Op],
}

/// One comparison of a parsed filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    pub field: &'static str,
    pub op: Op,
    pub value: String,
}

impl Condition {
    /// Why the value does not fit the field: "compares `field` with "`value`", which is not
    /// `what`".
    pub fn not_a(&self, what: &str) -> String {
        format!("compares {} with \"{}\", which is not {what}", self.field, self.value)
    }

    /// A yes/no field's condition as the value it asks for: `x = true` and `x != false` ask for
    /// true, `x = false` and `x != true` for false.
    pub fn wanted_flag(&self) -> Result<bool, String> {
        match self.value.as_str() {
            "true" => Ok(self.op == Op::Eq),
            "false" => Ok(self.op != Op::Eq),
            _ => Err(self.not_a("true or false")),
        }
    }
}

/// The longest filter accepted, in bytes.
pub const MAX_FILTER_BYTES: usize = 2_000;

/// Parses `filter` against the `fields` a call knows; empty is no condition.
pub fn parse(filter: &str, fields: &[Field]) -> Result<Vec<Condition>, String> {
    if filter.len() > MAX_FILTER_BYTES {
        return Err(format!("must be at most {MAX_FILTER_BYTES} bytes"));
    }
    let tokens = tokenize(filter)?;
    let mut conditions = Vec::new();
    let mut tokens = tokens.into_iter().peekable();
    let known = || fields.iter().map(|f| f.name).collect::<Vec<_>>().join(", ");
    while tokens.peek().is_some() {
        if !conditions.is_empty() {
            match tokens.next() {
                Some(Token::Word(word, _)) if word == "AND" => {}
                Some(token) => {
                    return Err(format!("expected AND at {}, found {}", token.position(), token.describe()));
                }
                None => unreachable!("peeked"),
            }
        }
        let (name, at) = match tokens.next() {
            Some(Token::Word(word, at)) => (word, at),
            Some(token) => return Err(format!("expected a field at {}, found {}", token.position(), token.describe())),
            None => return Err("ends after AND: a comparison must follow".into()),
        };
        let field = fields
            .iter()
            .find(|f| f.name == name)
            .ok_or_else(|| format!("has an unknown field \"{name}\" at {at}; the fields are {}", known()))?;
        let op = match tokens.next() {
            Some(Token::Op(op, _)) if field.ops.contains(&op) => op,
            Some(Token::Op(op, at)) => {
                let ops: Vec<&str> = field.ops.iter().map(|o| o.as_str()).collect();
                return Err(format!("compares {name} with {} at {at}; {name} takes {}", op.as_str(), ops.join(" ")));
            }
            Some(token) => {
                return Err(format!(
                    "expected an operator after {name} at {}, found {}",
                    token.position(),
                    token.describe()
                ));
            }
            None => return Err(format!("ends after {name}: an operator and a value must follow")),
        };
        let value = match tokens.next() {
            Some(Token::Word(word, _)) | Some(Token::Text(word, _)) => word,
            Some(token) => {
                return Err(format!("expected a value after {name} {} at {}", op.as_str(), token.position()));
            }
            None => return Err(format!("ends after {name} {}: a value must follow", op.as_str())),
        };
        conditions.push(Condition { field: field.name, op, value });
    }
    Ok(conditions)
}

#[derive(Debug)]
enum Token {
    Word(String, usize),
    Text(String, usize),
    Op(Op, usize),
}

impl Token {
    fn position(&self) -> usize {
        match self {
            Token::Word(_, at) | Token::Text(_, at) | Token::Op(_, at) => *at,
        }
    }

    fn describe(&self) -> String {
        match self {
            Token::Word(word, _) => format!("\"{word}\""),
            Token::Text(text, _) => format!("the string \"{text}\""),
            Token::Op(op, _) => format!("\"{}\"", op.as_str()),
        }
    }
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '.' | '/' | '-' | ':' | '@' | '+')
}

fn tokenize(filter: &str) -> Result<Vec<Token>, String> {
    let mut tokens = Vec::new();
    let mut chars = filter.char_indices().peekable();
    while let Some(&(at, c)) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '"' => {
                chars.next();
                let mut text = String::new();
                loop {
                    match chars.next() {
                        Some((_, '"')) => break,
                        Some((_, '\\')) => match chars.next() {
                            Some((_, escaped)) => text.push(escaped),
                            None => return Err(format!("has a string opened at {at} that never closes")),
                        },
                        Some((_, c)) => text.push(c),
                        None => return Err(format!("has a string opened at {at} that never closes")),
                    }
                }
                tokens.push(Token::Text(text, at));
            }
            '=' | '!' | '<' | '>' => {
                chars.next();
                let equals = chars.next_if(|&(_, next)| next == '=').is_some();
                let op = match (c, equals) {
                    ('=', false) => Op::Eq,
                    ('!', true) => Op::Ne,
                    ('<', false) => Op::Lt,
                    ('<', true) => Op::Le,
                    ('>', false) => Op::Gt,
                    ('>', true) => Op::Ge,
                    _ => return Err(format!("has an unknown operator at {at}")),
                };
                tokens.push(Token::Op(op, at));
            }
            c if is_word(c) => {
                let mut word = String::new();
                while let Some((_, c)) = chars.next_if(|&(_, c)| is_word(c)) {
                    word.push(c);
                }
                tokens.push(Token::Word(word, at));
            }
            other => return Err(format!("has an unexpected character '{other}' at {at}")),
        }
    }
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIELDS: &[Field] = &[Field { name: "industry", ops: EQUALITY }, Field { name: "due_date", ops: ORDERED }];

    fn condition(field: &'static str, op: Op, value: &str) -> Condition {
        Condition { field, op, value: value.into() }
    }

    #[test]
    fn comparisons_joined_by_and() {
        assert_eq!(parse("", FIELDS), Ok(vec![]));
        assert_eq!(parse("  ", FIELDS), Ok(vec![]));
        assert_eq!(
            parse("industry = \"Food & drink\"", FIELDS),
            Ok(vec![condition("industry", Op::Eq, "Food & drink")])
        );
        assert_eq!(
            parse("industry!=retail AND due_date >= 2027-01-01 AND due_date<2027-02-01", FIELDS),
            Ok(vec![
                condition("industry", Op::Ne, "retail"),
                condition("due_date", Op::Ge, "2027-01-01"),
                condition("due_date", Op::Lt, "2027-02-01"),
            ])
        );
        assert_eq!(parse(r#"industry = "say \"hi\"""#, FIELDS), Ok(vec![condition("industry", Op::Eq, "say \"hi\"")]));
    }

    #[test]
    fn mistakes_say_what_and_where() {
        let error = |filter: &str| parse(filter, FIELDS).expect_err(filter);
        let unknown = error("colour = red");
        assert!(
            unknown.contains("unknown field \"colour\" at 0") && unknown.contains("industry, due_date"),
            "{unknown}"
        );
        assert!(error("industry < b").contains("industry takes = !="));
        assert!(error("industry red").contains("expected an operator after industry at 9"));
        assert!(error("industry =").contains("a value must follow"));
        assert!(error("industry = a OR industry = b").contains("expected AND at 13"));
        assert!(error("industry = a AND").contains("a comparison must follow"));
        assert!(error("industry = \"open").contains("never closes"));
        assert!(error("industry == a").contains("unknown operator at 9"));
        assert!(error("industry = <").contains("expected a value after industry = at 11"));
        assert!(error("industry = a;").contains("unexpected character ';'"));
        assert!(error(&"x".repeat(MAX_FILTER_BYTES + 1)).contains("at most"));
    }
}
