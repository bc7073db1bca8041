//! Scripted answers of a test double, keyed by method and target (a URL
//! or a Bold API path), and the message for a request nobody scripted.

use std::fmt;

/// Answers by method (case-insensitive) and target (exact), in the order
/// they were scripted; scripting the same method and target again replaces
/// the answer.
pub(crate) struct Script<A> {
    routes: Vec<Route<A>>,
}

struct Route<A> {
    method: String,
    target: String,
    answer: A,
}

impl<A> Default for Script<A> {
    fn default() -> Self {
        Script { routes: Vec::new() }
    }
}

impl<A: Clone> Script<A> {
    /// Scripts (or replaces) the answer to `method` `target`.
    pub(crate) fn set(&mut self, method: &str, target: impl Into<String>, answer: A) {
        let method = method.to_ascii_uppercase();
        let target = target.into();
        match self
            .routes
            .iter_mut()
            .find(|r| r.method == method && r.target == target)
        {
            Some(route) => route.answer = answer,
            None => self.routes.push(Route {
                method,
                target,
                answer,
            }),
        }
    }

    /// The answer scripted for `method` `target`, if any.
    pub(crate) fn answer(&self, method: &str, target: &str) -> Option<A> {
        self.routes
            .iter()
            .find(|r| r.method.eq_ignore_ascii_case(method) && r.target == target)
            .map(|r| r.answer.clone())
    }
}

impl<A> fmt::Debug for Script<A> {
    /// The scripted `METHOD target`s, not the answers.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(
                self.routes
                    .iter()
                    .map(|r| format!("{} {}", r.method, r.target)),
            )
            .finish()
    }
}

/// Panics for a request that no scripted answer and no closure matches:
/// a test must never pass because a request it did not expect silently
/// got some answer.
#[track_caller]
pub(crate) fn unscripted<A>(
    what: &str,
    method: &str,
    target: &str,
    script: &Script<A>,
    how: &str,
) -> ! {
    panic!(
        "TestHost: unscripted {what} request `{method} {target}`; script it with {how} \
         (scripted: {script:?})"
    )
}
