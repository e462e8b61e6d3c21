//! The selection of a query operation as the compiler reads it: fragments spread in place,
//! `@skip`/`@include` applied, fields with the same response key merged (first occurrence first,
//! as async-graphql merges their values), arguments left as written (a literal or a variable).
//!
//! Only what depends on the *shape* of the variables (which are null, and the booleans) is
//! decided here; every other variable value is bound when the statement runs.

use async_graphql::{
    parser::types::{
        DocumentOperations, ExecutableDocument, OperationDefinition, OperationType, Selection,
        SelectionSet,
    },
    Positioned, Variables,
};
use async_graphql_value::{ConstValue, Name, Value};

/// An argument as written: a literal, or a variable (with the operation's default for it).
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    Literal(ConstValue),
    Variable(Name),
}

/// One field of the merged selection: its sub-selections are kept as written, and merged once the
/// compiler knows the field's type (the type decides which fragments apply).
#[derive(Debug, Clone)]
pub struct Node<'d> {
    /// The response key (alias or name).
    pub key: String,
    pub name: String,
    pub args: Vec<(String, Arg)>,
    pub sets: Vec<&'d SelectionSet>,
}

impl<'d> Node<'d> {
    pub fn arg(&self, name: &str) -> Option<&Arg> {
        self.args.iter().find(|(n, _)| n == name).map(|(_, a)| a)
    }

    /// The merged selection below this field, on its type `type_name`.
    pub fn children(
        &self,
        doc: &'d ExecutableDocument,
        vars: &Vars<'_>,
        type_name: &str,
    ) -> Result<Vec<Node<'d>>, Unsupported> {
        let mut out = Vec::new();
        for set in &self.sets {
            collect(doc, vars, set, type_name, &mut out, 0)?;
        }
        Ok(out)
    }
}

/// Why a selection is not compiled (it then runs through the resolvers).
#[derive(Debug)]
pub struct Unsupported;

/// The variables of one request with the operation's defaults applied.
pub struct Vars<'a> {
    given: &'a Variables,
    defaults: Vec<(Name, ConstValue)>,
    /// Fields the compiler may still visit: it reads a document before async-graphql's depth and
    /// complexity checks do, so a document whose fragments multiply (each spreading the next
    /// twice) stops here and is left to those checks.
    budget: std::cell::Cell<usize>,
}

/// Fields one request's compilation visits at most (fragments counted each time they spread).
const FIELD_BUDGET: usize = 20_000;

impl<'a> Vars<'a> {
    pub fn new(op: &OperationDefinition, given: &'a Variables) -> Vars<'a> {
        let defaults = op
            .variable_definitions
            .iter()
            .filter_map(|d| {
                d.node
                    .default_value
                    .as_ref()
                    .map(|v| (d.node.name.node.clone(), v.node.clone()))
            })
            .collect();
        Vars {
            given,
            defaults,
            budget: std::cell::Cell::new(FIELD_BUDGET),
        }
    }

    pub fn get(&self, name: &Name) -> Option<&ConstValue> {
        self.given.get(name).or_else(|| {
            self.defaults
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v)
        })
    }

    /// The value of an argument, null when absent.
    pub fn value(&self, arg: &Arg) -> ConstValue {
        match arg {
            Arg::Literal(v) => v.clone(),
            Arg::Variable(name) => self.get(name).cloned().unwrap_or(ConstValue::Null),
        }
    }

    /// The shape of the variables the plan depends on: each variable's name and whether it is
    /// null, false, true or another value.
    pub fn shape(&self) -> String {
        let mut names: Vec<&Name> = self.given.keys().collect();
        names.extend(self.defaults.iter().map(|(n, _)| n));
        names.sort();
        names.dedup();
        let mut shape = String::new();
        for name in names {
            let tag = match self.get(name) {
                None | Some(ConstValue::Null) => 'n',
                Some(ConstValue::Boolean(true)) => 't',
                Some(ConstValue::Boolean(false)) => 'f',
                Some(_) => 'v',
            };
            shape.push_str(name.as_str());
            shape.push('=');
            shape.push(tag);
            shape.push(';');
        }
        shape
    }
}

/// The operation the request runs, if it is a query.
pub fn query_operation<'d>(
    doc: &'d ExecutableDocument,
    name: Option<&str>,
) -> Option<&'d Positioned<OperationDefinition>> {
    let op = match &doc.operations {
        DocumentOperations::Single(op) => op,
        DocumentOperations::Multiple(ops) => {
            let name = name?;
            ops.iter()
                .find(|(n, _)| n.as_str() == name)
                .map(|(_, op)| op)?
        }
    };
    (op.node.ty == OperationType::Query).then_some(op)
}

/// The merged selection of `set` on the object type `type_name`.
pub fn merged<'d>(
    doc: &'d ExecutableDocument,
    vars: &Vars<'_>,
    set: &'d SelectionSet,
    type_name: &str,
) -> Result<Vec<Node<'d>>, Unsupported> {
    let mut out = Vec::new();
    collect(doc, vars, set, type_name, &mut out, 0)?;
    Ok(out)
}

fn collect<'d>(
    doc: &'d ExecutableDocument,
    vars: &Vars<'_>,
    set: &'d SelectionSet,
    type_name: &str,
    out: &mut Vec<Node<'d>>,
    spread_depth: usize,
) -> Result<(), Unsupported> {
    // Validation refuses fragment cycles; this bounds the walk whatever reaches it.
    if spread_depth > 32 {
        return Err(Unsupported);
    }
    for item in &set.items {
        match &item.node {
            Selection::Field(field) => {
                let left = vars.budget.get().checked_sub(1).ok_or(Unsupported)?;
                vars.budget.set(left);
                let field = &field.node;
                if !included(vars, &field.directives)? {
                    continue;
                }
                let key = field.response_key().node.as_str();
                match out.iter_mut().find(|n| n.key == key) {
                    Some(node) => {
                        // A repeated key is the same field with the same arguments; where
                        // validation lets two differ (under two selections of one parent merged
                        // later), the resolvers answer each part from its own arguments.
                        if node.name != field.name.node.as_str()
                            || node.args.len() != field.arguments.len()
                        {
                            return Err(Unsupported);
                        }
                        for (name, value) in &field.arguments {
                            let same = node
                                .arg(name.node.as_str())
                                .is_some_and(|a| arg(&value.node).is_ok_and(|b| *a == b));
                            if !same {
                                return Err(Unsupported);
                            }
                        }
                        node.sets.push(&field.selection_set.node);
                    }
                    None => {
                        let mut args = Vec::with_capacity(field.arguments.len());
                        for (name, value) in &field.arguments {
                            args.push((name.node.to_string(), arg(&value.node)?));
                        }
                        out.push(Node {
                            key: key.to_owned(),
                            name: field.name.node.to_string(),
                            args,
                            sets: vec![&field.selection_set.node],
                        });
                    }
                }
            }
            Selection::FragmentSpread(spread) => {
                let left = vars.budget.get().checked_sub(1).ok_or(Unsupported)?;
                vars.budget.set(left);
                if !included(vars, &spread.node.directives)? {
                    continue;
                }
                let fragment = doc
                    .fragments
                    .get(&spread.node.fragment_name.node)
                    .ok_or(Unsupported)?;
                if fragment.node.type_condition.node.on.node.as_str() != type_name {
                    return Err(Unsupported);
                }
                collect(
                    doc,
                    vars,
                    &fragment.node.selection_set.node,
                    type_name,
                    out,
                    spread_depth + 1,
                )?;
            }
            Selection::InlineFragment(inline) => {
                if !included(vars, &inline.node.directives)? {
                    continue;
                }
                if let Some(cond) = &inline.node.type_condition {
                    if cond.node.on.node.as_str() != type_name {
                        return Err(Unsupported);
                    }
                }
                collect(
                    doc,
                    vars,
                    &inline.node.selection_set.node,
                    type_name,
                    out,
                    spread_depth + 1,
                )?;
            }
        }
    }
    Ok(())
}

/// Whether `@skip`/`@include` keep a selection; any other directive is not compiled.
fn included(
    vars: &Vars<'_>,
    directives: &[Positioned<async_graphql::parser::types::Directive>],
) -> Result<bool, Unsupported> {
    let mut keep = true;
    for directive in directives {
        let name = directive.node.name.node.as_str();
        let skip = match name {
            "skip" => true,
            "include" => false,
            _ => return Err(Unsupported),
        };
        let value = directive
            .node
            .get_argument("if")
            .ok_or(Unsupported)
            .and_then(|v| arg(&v.node))?;
        let condition = match vars.value(&value) {
            ConstValue::Boolean(b) => b,
            _ => return Err(Unsupported),
        };
        if condition == skip {
            keep = false;
        }
    }
    Ok(keep)
}

/// An argument's written value: a literal (no variable inside) or a variable.
fn arg(value: &Value) -> Result<Arg, Unsupported> {
    match value {
        Value::Variable(name) => Ok(Arg::Variable(name.clone())),
        other => other
            .clone()
            .into_const()
            .map(Arg::Literal)
            .ok_or(Unsupported),
    }
}
