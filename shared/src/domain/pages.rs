//! Lists in pages: newest first, a bounded number of items per page, and where the next page
//! starts. Ids only grow (UUIDv7), so items added meanwhile land before the first page and
//! never shift a later one: no page skips or repeats an item.

/// Items per page when the client does not say.
pub const DEFAULT_LIMIT: usize = 50;
/// Items per page at most.
pub const MAX_LIMIT: usize = 100;

/// One page's request: how many items, and after which position (the store's own text, from
/// the previous page's [`Page::next`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: usize,
    pub after: Option<String>,
}

impl PageRequest {
    pub fn first(limit: usize) -> Self {
        Self { limit, after: None }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<String>,
}
