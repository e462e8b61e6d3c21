//! What the HTTP layer reads off a parsed document before running it: the operation's type, whether
//! it introspects, how many aliases it uses.

use std::collections::HashMap;

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, OperationType, Selection, SelectionSet,
};

/// The type of the operation the request runs (None when the name does not select one).
pub fn operation_type(doc: &ExecutableDocument, name: Option<&str>) -> Option<OperationType> {
    match &doc.operations {
        DocumentOperations::Single(op) => Some(op.node.ty),
        DocumentOperations::Multiple(ops) => name.and_then(|name| {
            ops.iter()
                .find(|(n, _)| n.as_str() == name)
                .map(|(_, op)| op.node.ty)
        }),
    }
}

/// Whether the document asks for `__schema` or `__type` anywhere.
pub fn introspects(doc: &ExecutableDocument) -> bool {
    fn in_set(set: &SelectionSet) -> bool {
        set.items.iter().any(|item| match &item.node {
            Selection::Field(f) => {
                matches!(f.node.name.node.as_str(), "__schema" | "__type")
                    || in_set(&f.node.selection_set.node)
            }
            Selection::InlineFragment(f) => in_set(&f.node.selection_set.node),
            Selection::FragmentSpread(_) => false,
        })
    }
    doc.operations
        .iter()
        .any(|(_, op)| in_set(&op.node.selection_set.node))
        || doc
            .fragments
            .values()
            .any(|f| in_set(&f.node.selection_set.node))
}

pub fn count_aliases(doc: &ExecutableDocument) -> usize {
    fn in_set(set: &SelectionSet) -> usize {
        set.items
            .iter()
            .map(|item| match &item.node {
                Selection::Field(f) => {
                    usize::from(f.node.alias.is_some()) + in_set(&f.node.selection_set.node)
                }
                Selection::InlineFragment(f) => in_set(&f.node.selection_set.node),
                Selection::FragmentSpread(_) => 0,
            })
            .sum()
    }
    let operations: usize = doc
        .operations
        .iter()
        .map(|(_, op)| in_set(&op.node.selection_set.node))
        .sum();
    let fragments: usize = doc
        .fragments
        .values()
        .map(|f| in_set(&f.node.selection_set.node))
        .sum();
    operations + fragments
}

/// The fields the operation selects once its fragments are spread (a fragment counted each time
/// it is spread), saturating; in time linear in the document. async-graphql's complexity and
/// depth checks walk the spread document, so a few kilobytes of fragments that each spread the
/// next twice would keep them busy for hours: such a document is refused before they run.
pub fn expanded_fields(doc: &ExecutableDocument, name: Option<&str>) -> usize {
    fn in_set<'d>(
        doc: &'d ExecutableDocument,
        set: &'d SelectionSet,
        memo: &mut HashMap<&'d str, usize>,
        depth: usize,
    ) -> usize {
        // Fragment cycles are refused by validation; this bounds the walk whatever reaches it.
        if depth > 64 {
            return usize::MAX;
        }
        set.items.iter().fold(0usize, |n, item| {
            let more = match &item.node {
                Selection::Field(f) => {
                    1usize.saturating_add(in_set(doc, &f.node.selection_set.node, memo, depth + 1))
                }
                Selection::InlineFragment(f) => {
                    in_set(doc, &f.node.selection_set.node, memo, depth + 1)
                }
                Selection::FragmentSpread(s) => {
                    let name = s.node.fragment_name.node.as_str();
                    match memo.get(name) {
                        Some(n) => *n,
                        None => {
                            let n = doc
                                .fragments
                                .get(&s.node.fragment_name.node)
                                .map_or(0, |f| {
                                    in_set(doc, &f.node.selection_set.node, memo, depth + 1)
                                });
                            memo.insert(name, n);
                            n
                        }
                    }
                }
            };
            n.saturating_add(more)
        })
    }
    let op = match &doc.operations {
        DocumentOperations::Single(op) => Some(op),
        DocumentOperations::Multiple(ops) => name.and_then(|name| {
            ops.iter()
                .find(|(n, _)| n.as_str() == name)
                .map(|(_, op)| op)
        }),
    };
    op.map_or(0, |op| {
        in_set(doc, &op.node.selection_set.node, &mut HashMap::new(), 0)
    })
}
