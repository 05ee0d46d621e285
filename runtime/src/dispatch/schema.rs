//! Operator schemas in `native_functions.yaml` syntax (packet FT-P2C-003).
//!
//! A schema is one `- func:` line, e.g.
//! `addmm(Tensor self, Tensor mat1, Tensor mat2, *, Scalar beta=1, Scalar alpha=1) -> Tensor`:
//! a name with an optional overload (`sum.dim_IntList`), typed arguments with
//! optional alias annotations (`Tensor(a!)`), defaults, a `*` after which
//! arguments are keyword-only, and the returns. [`FunctionSchema::parse`]
//! reads that grammar and rejects anything it does not understand — an unknown
//! type name is an error, not a guess (fail closed).
//!
//! The runtime identifies operators by the name Python prints for the
//! overload packet, [`FunctionSchema::python_name`]: `aten.addmm.default`,
//! `aten.sum.dim_IntList`.

use std::fmt;

/// A schema that could not be parsed, with the text and the reason.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("cannot parse schema `{schema}`: {reason}")]
pub struct SchemaError {
    /// The schema text.
    pub schema: String,
    /// What was wrong.
    pub reason: String,
}

/// An argument or return type.
#[derive(Clone, Debug, PartialEq)]
pub enum SchemaType {
    /// `Tensor`.
    Tensor,
    /// `int`.
    Int,
    /// `SymInt` (a symbolic int; concrete here).
    SymInt,
    /// `float`.
    Float,
    /// `bool`.
    Bool,
    /// `str`.
    Str,
    /// `Scalar`: int, float or bool.
    Scalar,
    /// `ScalarType`: a dtype.
    ScalarType,
    /// `Layout`.
    Layout,
    /// `Device`.
    Device,
    /// `MemoryFormat`.
    MemoryFormat,
    /// `Generator`.
    Generator,
    /// `T[]` or `T[N]`.
    List {
        /// Element type.
        elem: Box<SchemaType>,
        /// Fixed size (`int[2]`), if given.
        size: Option<usize>,
    },
    /// `T?`.
    Optional(Box<SchemaType>),
}

impl SchemaType {
    fn base(name: &str) -> Option<SchemaType> {
        Some(match name {
            "Tensor" => SchemaType::Tensor,
            "int" => SchemaType::Int,
            "SymInt" => SchemaType::SymInt,
            "float" => SchemaType::Float,
            "bool" => SchemaType::Bool,
            "str" => SchemaType::Str,
            "Scalar" => SchemaType::Scalar,
            "ScalarType" => SchemaType::ScalarType,
            "Layout" => SchemaType::Layout,
            "Device" => SchemaType::Device,
            "MemoryFormat" => SchemaType::MemoryFormat,
            "Generator" => SchemaType::Generator,
            _ => return None,
        })
    }

    /// The type without an outer `?`.
    pub fn unwrap_optional(&self) -> &SchemaType {
        match self {
            SchemaType::Optional(inner) => inner,
            other => other,
        }
    }

    /// Whether values of this type are (or contain) tensors.
    pub fn is_tensor_like(&self) -> bool {
        match self {
            SchemaType::Tensor => true,
            SchemaType::Optional(inner) => inner.is_tensor_like(),
            SchemaType::List { elem, .. } => elem.is_tensor_like(),
            _ => false,
        }
    }
}

impl fmt::Display for SchemaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SchemaType::Tensor => f.write_str("Tensor"),
            SchemaType::Int => f.write_str("int"),
            SchemaType::SymInt => f.write_str("SymInt"),
            SchemaType::Float => f.write_str("float"),
            SchemaType::Bool => f.write_str("bool"),
            SchemaType::Str => f.write_str("str"),
            SchemaType::Scalar => f.write_str("Scalar"),
            SchemaType::ScalarType => f.write_str("ScalarType"),
            SchemaType::Layout => f.write_str("Layout"),
            SchemaType::Device => f.write_str("Device"),
            SchemaType::MemoryFormat => f.write_str("MemoryFormat"),
            SchemaType::Generator => f.write_str("Generator"),
            SchemaType::List { elem, size: None } => write!(f, "{elem}[]"),
            SchemaType::List {
                elem,
                size: Some(n),
            } => write!(f, "{elem}[{n}]"),
            SchemaType::Optional(inner) => write!(f, "{inner}?"),
        }
    }
}

/// A default value as written in the schema.
#[derive(Clone, Debug, PartialEq)]
pub enum DefaultValue {
    /// `None`.
    None,
    /// `True` / `False`.
    Bool(bool),
    /// An integer literal.
    Int(i64),
    /// A float literal (`0.`, `1e-05`).
    Float(f64),
    /// A string literal.
    Str(String),
    /// A list literal (`[]`, `[0, 1]`).
    List(Vec<DefaultValue>),
    /// A bare identifier (`contiguous_format`, `Mean`).
    Ident(String),
}

/// Alias annotation `(a)` / `(a!)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AliasInfo {
    /// Alias set name (`a`).
    pub set: String,
    /// `!`: the operator writes through this alias.
    pub is_write: bool,
}

/// One schema argument.
#[derive(Clone, Debug, PartialEq)]
pub struct Argument {
    /// Name (`self`, `mat1`).
    pub name: String,
    /// Type.
    pub ty: SchemaType,
    /// Default, if any.
    pub default: Option<DefaultValue>,
    /// Declared after `*`.
    pub kwarg_only: bool,
    /// Alias annotation.
    pub alias: Option<AliasInfo>,
}

/// One schema return.
#[derive(Clone, Debug, PartialEq)]
pub struct Return {
    /// Optional name (`values`).
    pub name: Option<String>,
    /// Type.
    pub ty: SchemaType,
    /// Alias annotation.
    pub alias: Option<AliasInfo>,
}

/// A parsed operator schema.
#[derive(Clone, Debug, PartialEq)]
pub struct FunctionSchema {
    /// Operator namespace: `aten`, or `prims` for the primitives a
    /// Python meta kernel decomposes into (`prims::add`).
    pub namespace: String,
    /// Base name (`sum`).
    pub name: String,
    /// Overload name (`dim_IntList`), empty for the default overload.
    pub overload_name: String,
    /// Arguments in schema order.
    pub arguments: Vec<Argument>,
    /// Returns in schema order.
    pub returns: Vec<Return>,
}

impl FunctionSchema {
    /// Parses one `func:` string (an optional `aten::` namespace is
    /// accepted; `prims::` names a primitive).
    pub fn parse(text: &str) -> Result<FunctionSchema, SchemaError> {
        let err = |reason: &str| SchemaError {
            schema: text.to_owned(),
            reason: reason.to_owned(),
        };
        let s = text.trim();
        let (namespace, s) = if let Some(rest) = s.strip_prefix("prims::") {
            ("prims", rest)
        } else if let Some(rest) = s.strip_prefix("image::") {
            // torchvision's image I/O operators (`torch.ops.image`).
            ("image", rest)
        } else if let Some(rest) = s.strip_prefix("torchvision::") {
            // torchvision's detection operators (`torch.ops.torchvision`).
            ("torchvision", rest)
        } else {
            ("aten", s.strip_prefix("aten::").unwrap_or(s))
        };
        let open = s.find('(').ok_or_else(|| err("missing `(`"))?;
        let decl = s[..open].trim();
        let (name, overload_name) = match decl.split_once('.') {
            Some((n, o)) => (n, o),
            None => (decl, ""),
        };
        if !is_ident(name) || !(overload_name.is_empty() || is_ident(overload_name)) {
            return Err(err("invalid operator name"));
        }
        let close = matching_paren(s, open).ok_or_else(|| err("unbalanced parentheses"))?;
        let rest = s[close + 1..].trim();
        let returns_text = rest
            .strip_prefix("->")
            .ok_or_else(|| err("missing `->`"))?
            .trim();

        let mut arguments = Vec::new();
        let mut kwarg_only = false;
        for piece in split_top_level(&s[open + 1..close]) {
            let piece = piece.trim();
            if piece.is_empty() {
                continue;
            }
            if piece == "*" {
                kwarg_only = true;
                continue;
            }
            arguments.push(parse_argument(piece, kwarg_only).map_err(|r| err(&r))?);
        }
        let returns = parse_returns(returns_text).map_err(|r| err(&r))?;
        Ok(FunctionSchema {
            namespace: namespace.to_owned(),
            name: name.to_owned(),
            overload_name: overload_name.to_owned(),
            arguments,
            returns,
        })
    }

    /// The name Python prints for the overload: `aten.sum.dim_IntList`,
    /// `aten.relu.default`.
    pub fn python_name(&self) -> String {
        let overload = if self.overload_name.is_empty() {
            "default"
        } else {
            &self.overload_name
        };
        format!("{}.{}.{}", self.namespace, self.name, overload)
    }

    /// An in-place operator: name ends in `_` and it writes its first argument.
    pub fn is_inplace(&self) -> bool {
        self.name.ends_with('_')
            && self
                .arguments
                .first()
                .and_then(|a| a.alias.as_ref())
                .is_some_and(|a| a.is_write)
    }

    /// An in-place view operator (PyTorch's `inplace_view` tag): it changes
    /// `self`'s geometry, not its elements, so an op on a view keeps the
    /// view's history chained (no CopySlices on the base).
    pub fn is_inplace_view(&self) -> bool {
        self.is_inplace()
            && matches!(
                self.name.as_str(),
                "transpose_"
                    | "t_"
                    | "unsqueeze_"
                    | "squeeze_"
                    | "swapdims_"
                    | "swapaxes_"
                    | "as_strided_"
            )
    }

    /// An `out=` variant: a keyword-only argument it writes (`Tensor(a!) out`).
    pub fn is_out(&self) -> bool {
        self.arguments
            .iter()
            .any(|a| a.kwarg_only && a.alias.as_ref().is_some_and(|a| a.is_write))
    }

    /// The positions of the `out=` arguments (keyword-only and written).
    pub fn out_arguments(&self) -> Vec<usize> {
        self.arguments
            .iter()
            .enumerate()
            .filter(|(_, a)| a.kwarg_only && a.alias.as_ref().is_some_and(|a| a.is_write))
            .map(|(i, _)| i)
            .collect()
    }

    /// Whether the first argument is a tensor list (`_foreach_*` operators).
    pub fn self_is_list(&self) -> bool {
        self.arguments.first().is_some_and(
            |a| matches!(&a.ty, SchemaType::List { elem, .. } if **elem == SchemaType::Tensor),
        )
    }

    /// A view operator: it returns an alias of an input without writing it.
    pub fn is_view(&self) -> bool {
        self.returns
            .iter()
            .any(|r| r.alias.as_ref().is_some_and(|a| !a.is_write))
    }

    /// Has the `dtype`, `layout`, `device`, `pin_memory` keyword group
    /// (PyTorch's TensorOptions).
    pub fn has_tensor_options(&self) -> bool {
        ["dtype", "layout", "device", "pin_memory"]
            .iter()
            .all(|n| self.arguments.iter().any(|a| a.name == *n && a.kwarg_only))
    }

    /// Index of the argument called `name`.
    pub fn argument_index(&self, name: &str) -> Option<usize> {
        self.arguments.iter().position(|a| a.name == name)
    }
}

impl fmt::Display for FunctionSchema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.namespace != "aten" {
            write!(f, "{}::", self.namespace)?;
        }
        f.write_str(&self.name)?;
        if !self.overload_name.is_empty() {
            write!(f, ".{}", self.overload_name)?;
        }
        f.write_str("(")?;
        let mut star = false;
        for (i, a) in self.arguments.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            if a.kwarg_only && !star {
                f.write_str("*, ")?;
                star = true;
            }
            write!(f, "{} {}", a.ty, a.name)?;
        }
        f.write_str(") -> ...")
    }
}

fn is_ident(s: &str) -> bool {
    !s.is_empty()
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !s.starts_with(|c: char| c.is_ascii_digit())
}

fn matching_paren(s: &str, open: usize) -> Option<usize> {
    let mut depth = 0i32;
    for (i, c) in s.char_indices().skip_while(|&(i, _)| i < open) {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => {
                depth -= 1;
                if depth == 0 {
                    return (c == ')').then_some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// Splits on commas that are not inside `()`, `[]` or a string literal.
fn split_top_level(s: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '(' | '[') => depth += 1,
            (None, ')' | ']') => depth -= 1,
            (None, ',') if depth == 0 => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts
}

/// Splits `Type name=default` at the first top-level whitespace.
fn split_type(piece: &str) -> (&str, &str) {
    let mut depth = 0i32;
    for (i, c) in piece.char_indices() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth -= 1,
            c if c.is_whitespace() && depth == 0 => return (&piece[..i], piece[i..].trim()),
            _ => {}
        }
    }
    (piece, "")
}

fn parse_type(text: &str) -> Result<(SchemaType, Option<AliasInfo>), String> {
    let base_end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    let base = &text[..base_end];
    let mut ty = SchemaType::base(base).ok_or_else(|| format!("unknown type `{base}`"))?;
    let mut alias = None;
    let mut rest = &text[base_end..];
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('(') {
            let end = r
                .find(')')
                .ok_or_else(|| format!("unclosed alias annotation in `{text}`"))?;
            let inner = &r[..end];
            // `(a -> *)`: the results alias `a` and may alias each other
            // (`split`, `unbind`); read as the alias set `a`.
            let inner = inner.strip_suffix("-> *").map_or(inner, str::trim_end);
            let (set, is_write) = match inner.strip_suffix('!') {
                Some(s) => (s, true),
                None => (inner, false),
            };
            if !is_ident(set) {
                return Err(format!("invalid alias annotation `({inner})`"));
            }
            alias = Some(AliasInfo {
                set: set.to_owned(),
                is_write,
            });
            rest = &r[end + 1..];
        } else if let Some(r) = rest.strip_prefix('[') {
            let end = r
                .find(']')
                .ok_or_else(|| format!("unclosed `[` in `{text}`"))?;
            let size = match r[..end].trim() {
                "" => None,
                n => Some(
                    n.parse::<usize>()
                        .map_err(|_| format!("invalid list size `{n}`"))?,
                ),
            };
            ty = SchemaType::List {
                elem: Box::new(ty),
                size,
            };
            rest = &r[end + 1..];
        } else if let Some(r) = rest.strip_prefix('?') {
            ty = SchemaType::Optional(Box::new(ty));
            rest = r;
        } else {
            return Err(format!("unexpected `{rest}` in type `{text}`"));
        }
    }
    Ok((ty, alias))
}

fn parse_argument(piece: &str, kwarg_only: bool) -> Result<Argument, String> {
    let (ty_text, rest) = split_type(piece);
    let (ty, alias) = parse_type(ty_text)?;
    let (name, default) = match rest.split_once('=') {
        Some((n, d)) => (n.trim(), Some(parse_default(d.trim())?)),
        None => (rest.trim(), None),
    };
    if !is_ident(name) {
        return Err(format!("invalid argument name in `{piece}`"));
    }
    Ok(Argument {
        name: name.to_owned(),
        ty,
        default,
        kwarg_only,
        alias,
    })
}

fn parse_default(text: &str) -> Result<DefaultValue, String> {
    match text {
        "None" => return Ok(DefaultValue::None),
        "True" => return Ok(DefaultValue::Bool(true)),
        "False" => return Ok(DefaultValue::Bool(false)),
        _ => {}
    }
    if let Some(inner) = text.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
        let items = split_top_level(inner)
            .into_iter()
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(parse_default)
            .collect::<Result<Vec<_>, _>>()?;
        return Ok(DefaultValue::List(items));
    }
    for q in ['"', '\''] {
        if let Some(inner) = text.strip_prefix(q).and_then(|t| t.strip_suffix(q)) {
            return Ok(DefaultValue::Str(inner.to_owned()));
        }
    }
    if let Ok(i) = text.parse::<i64>() {
        return Ok(DefaultValue::Int(i));
    }
    if text.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '.') {
        return text
            .parse::<f64>()
            .map(DefaultValue::Float)
            .map_err(|_| format!("invalid default `{text}`"));
    }
    if is_ident(text) {
        return Ok(DefaultValue::Ident(text.to_owned()));
    }
    Err(format!("invalid default `{text}`"))
}

fn parse_returns(text: &str) -> Result<Vec<Return>, String> {
    let inner = match text.strip_prefix('(').and_then(|t| t.strip_suffix(')')) {
        Some(inner) => inner,
        None => text,
    };
    let mut out = Vec::new();
    for piece in split_top_level(inner) {
        let piece = piece.trim();
        if piece.is_empty() {
            continue;
        }
        let (ty_text, name) = split_type(piece);
        let (ty, alias) = parse_type(ty_text)?;
        let name = match name {
            "" => None,
            n if is_ident(n) => Some(n.to_owned()),
            n => return Err(format!("invalid return name `{n}`")),
        };
        out.push(Return { name, ty, alias });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_addmm_with_kwarg_only_defaults() {
        let s = FunctionSchema::parse(
            "addmm(Tensor self, Tensor mat1, Tensor mat2, *, Scalar beta=1, Scalar alpha=1) -> Tensor",
        )
        .expect("parse");
        assert_eq!(s.python_name(), "aten.addmm.default");
        assert_eq!(s.arguments.len(), 5);
        assert!(!s.arguments[2].kwarg_only);
        assert!(s.arguments[3].kwarg_only);
        assert_eq!(s.arguments[4].name, "alpha");
        assert_eq!(s.arguments[4].default, Some(DefaultValue::Int(1)));
        assert_eq!(s.returns.len(), 1);
        assert!(!s.is_inplace() && !s.is_view() && !s.has_tensor_options());
    }

    #[test]
    fn parses_overload_names_optional_lists_and_aliases() {
        let s = FunctionSchema::parse(
            "sum.dim_IntList(Tensor self, int[1]? dim, bool keepdim=False, *, ScalarType? dtype=None) -> Tensor",
        )
        .expect("parse");
        assert_eq!(s.python_name(), "aten.sum.dim_IntList");
        assert_eq!(
            s.arguments[1].ty,
            SchemaType::Optional(Box::new(SchemaType::List {
                elem: Box::new(SchemaType::Int),
                size: Some(1)
            }))
        );
        assert_eq!(s.arguments[2].default, Some(DefaultValue::Bool(false)));

        let add_ = FunctionSchema::parse(
            "add_.Tensor(Tensor(a!) self, Tensor other, *, Scalar alpha=1) -> Tensor(a!)",
        )
        .expect("parse");
        assert!(add_.is_inplace());
        assert!(!add_.is_view());

        let t = FunctionSchema::parse("aten::t(Tensor(a) self) -> Tensor(a)").expect("parse");
        assert!(t.is_view() && !t.is_inplace());
        assert_eq!(t.python_name(), "aten.t.default");

        let prims_add = FunctionSchema::parse("prims::add(Tensor self, Tensor other) -> Tensor")
            .expect("parse");
        assert_eq!(prims_add.python_name(), "prims.add.default");
        assert!(
            prims_add
                .to_string()
                .starts_with("prims::add(Tensor self, Tensor other)")
        );

        let split = FunctionSchema::parse(
            "split.Tensor(Tensor(a -> *) self, SymInt split_size, int dim=0) -> Tensor(a)[]",
        )
        .expect("parse");
        assert!(split.is_view() && !split.is_inplace());
        assert_eq!(
            split.arguments[0].alias.as_ref().map(|a| a.set.as_str()),
            Some("a")
        );
    }

    #[test]
    fn parses_float_string_and_list_defaults_and_tuple_returns() {
        let s = FunctionSchema::parse(
            "uniform_(Tensor(a!) self, float from=0., float to=1., *, Generator? generator=None) -> Tensor(a!)",
        )
        .expect("parse");
        assert_eq!(s.arguments[1].default, Some(DefaultValue::Float(0.0)));
        let s = FunctionSchema::parse(
            "max.dim(Tensor self, int dim, bool keepdim=False) -> (Tensor values, Tensor indices)",
        )
        .expect("parse");
        assert_eq!(s.returns.len(), 2);
        assert_eq!(s.returns[1].name.as_deref(), Some("indices"));
        let s = FunctionSchema::parse(
            "f(Tensor self, str reduce=\"mean\", int[] dims=[], float eps=1e-05, int r=Mean) -> ()",
        )
        .expect("parse");
        assert_eq!(
            s.arguments[1].default,
            Some(DefaultValue::Str("mean".into()))
        );
        assert_eq!(s.arguments[2].default, Some(DefaultValue::List(vec![])));
        assert_eq!(s.arguments[3].default, Some(DefaultValue::Float(1e-5)));
        assert_eq!(
            s.arguments[4].default,
            Some(DefaultValue::Ident("Mean".into()))
        );
        assert!(s.returns.is_empty());
    }

    #[test]
    fn factory_has_tensor_options() {
        let s = FunctionSchema::parse(
            "randn(SymInt[] size, *, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None) -> Tensor",
        )
        .expect("parse");
        assert!(s.has_tensor_options());
    }

    #[test]
    fn rejects_what_it_does_not_understand() {
        for bad in [
            "addmm(Tensor self",
            "addmm(Tensor self) Tensor",
            "addmm(Quaternion self) -> Tensor",
            "addmm(Tensor self=) -> Tensor",
            "add mm(Tensor self) -> Tensor",
            "f(Tensor(a!! self) -> Tensor",
        ] {
            assert!(FunctionSchema::parse(bad).is_err(), "accepted {bad}");
        }
        let e = FunctionSchema::parse("f(Quaternion q) -> Tensor").expect_err("unknown type");
        assert!(e.reason.contains("Quaternion"));
    }
}
